//! Message catalogues (Fluent, `vi.ftl` and `en.ftl`, compiled into the binary) and
//! the locale rules for dates. Vietnamese is the default; every user-visible string
//! lives here, never in handlers.

use std::{fmt, str::FromStr, sync::LazyLock};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_bundle::{concurrent::FluentBundle, FluentArgs, FluentResource, FluentValue};

pub const VI_FTL: &str = include_str!("vi.ftl");
pub const EN_FTL: &str = include_str!("en.ftl");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Vi, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language of the best match in an `Accept-Language` header, if any.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.trim().split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let Ok(lang) = primary.parse::<Lang>() else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }
}

impl FromStr for Lang {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "vi" => Ok(Lang::Vi),
            "en" => Ok(Lang::En),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A message key used from Rust code. Writing keys as `k("…")` lets the catalogue
/// test find every key the code uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgKey(pub &'static str);

pub const fn k(key: &'static str) -> MsgKey {
    MsgKey(key)
}

struct Catalog {
    vi: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(lang: Lang, source: &'static str) -> FluentBundle<FluentResource> {
    let id = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks would end up inside HTML attributes and e-mails.
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(res, errors)| {
        log::error!("{} catalogue has syntax errors: {errors:?}", lang.code());
        res
    });
    if let Err(errors) = bundle.add_resource(resource) {
        log::error!("{} catalogue has duplicate keys: {errors:?}", lang.code());
    }
    bundle
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog {
    vi: bundle(Lang::Vi, VI_FTL),
    en: bundle(Lang::En, EN_FTL),
});

fn format(lang: Lang, key: &str, args: Option<&FluentArgs<'_>>) -> String {
    let bundle = match lang {
        Lang::Vi => &CATALOG.vi,
        Lang::En => &CATALOG.en,
    };
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        log::warn!("missing message {key} ({})", lang.code());
        return key.to_owned();
    };
    let mut errors = Vec::new();
    let text = bundle
        .format_pattern(pattern, args, &mut errors)
        .into_owned();
    if !errors.is_empty() {
        log::warn!("message {key} ({}): {errors:?}", lang.code());
    }
    text
}

/// The text of `key` in `lang`.
pub fn t(lang: Lang, key: &str) -> String {
    format(lang, key, None)
}

/// The text of `key` in `lang` with named arguments (`{ $name }` in the catalogue).
pub fn t_args(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut fargs = FluentArgs::new();
    for (name, value) in args {
        fargs.set(*name, FluentValue::from(*value));
    }
    format(lang, key, Some(&fargs))
}

/// Whether the catalogue has `key` (flash cookies carry keys; unknown ones are dropped).
pub fn has_key(key: &str) -> bool {
    CATALOG.vi.has_message(key)
}

/// The message ids defined in a catalogue source, for the completeness test.
pub fn catalog_keys(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once('=').map(|(key, _)| key.trim().to_owned()))
        .collect()
}

/// `dd/mm/yyyy HH:MM` in the unit's time zone; storage stays in UTC.
pub fn fmt_datetime(dt: &DateTime<Utc>, tz: Tz) -> String {
    dt.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,vi;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, vi;q=0.5, en;q=0.3"),
            Some(Lang::Vi)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("en;q=0, vi"), Some(Lang::Vi));
    }

    #[test]
    fn dates_are_shown_in_ho_chi_minh_time() {
        let dt = Utc
            .with_ymd_and_hms(2026, 12, 31, 18, 5, 0)
            .single()
            .expect("valid date");
        assert_eq!(
            fmt_datetime(&dt, chrono_tz::Asia::Ho_Chi_Minh),
            "01/01/2027 01:05"
        );
    }

    #[test]
    fn arguments_are_substituted() {
        let text = t_args(Lang::En, "dashboard-greeting", &[("name", "Lan")]);
        assert!(text.contains("Lan"), "{text}");
    }
}
