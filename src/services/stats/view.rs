//! What `/stats` shows: the figures as labelled rows with their links to the
//! case list and their comparisons, the period picker and the charts, in the
//! reader's language.

use chrono::NaiveDate;

use super::chart::{Chart, Data, Unit};
use super::{Figures, Scope, Stats, COMPLIANCE, RESULTS, TIMES};
use crate::domain::period::{Kind, Period};
use crate::i18n::{t, t_args, Lang};
use crate::models::case::{CaseType, Channel};
use crate::models::category::Category;

/// One figure: a label, its value, the list that produced it, and how it
/// compares with the previous period and the same period a year before.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
    pub vs_previous: String,
    pub vs_year: String,
    /// A subcategory under its category.
    pub nested: bool,
    /// The definition's anchor (`#def-…`).
    pub def: &'static str,
}

pub struct TimeRow {
    pub label: String,
    pub count: i64,
    /// The cases counted (those that took the step in the period).
    pub href: String,
    pub median: String,
    pub p90: String,
}

pub struct View {
    pub heading: String,
    pub computed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub period_label: String,
    pub summary: Vec<Row>,
    pub by_type: Vec<Row>,
    pub by_category: Vec<Row>,
    pub by_channel: Vec<Row>,
    pub results: Vec<Row>,
    pub compliance: Vec<Row>,
    pub times: Vec<TimeRow>,
    pub intake: Vec<Row>,
    pub transfers: Vec<Row>,
    pub top: Vec<crate::models::hot_identifier::Hot>,
    pub charts: Vec<Chart>,
}

/// `+12 (+8,5%)`, `−3 (−20,0%)`, `0`, or `+5` when there was nothing before.
pub fn change(now: i64, before: i64) -> String {
    let diff = now - before;
    let sign = match diff.signum() {
        1 => "+",
        -1 => "−",
        _ => "",
    };
    let abs = crate::domain::value::fmt_thousands(diff.abs());
    if diff == 0 {
        "0".into()
    } else if before == 0 {
        format!("{sign}{abs}")
    } else {
        let pct = 100.0 * diff.abs() as f64 / before as f64;
        format!("{sign}{abs} ({sign}{})", percent(pct))
    }
}

/// `8,5%` (Vietnamese decimal comma).
pub fn percent(p: f64) -> String {
    format!("{:.1}%", p).replace('.', ",")
}

/// `3 giờ 12 phút`, `4,2 ngày`: a duration in seconds, readably.
pub fn duration(lang: Lang, secs: f64) -> String {
    let hours = secs / 3600.0;
    if hours < 1.0 {
        t_args(
            lang,
            "stats-minutes",
            &[("n", &format!("{:.0}", secs / 60.0))],
        )
    } else if hours < 48.0 {
        t_args(
            lang,
            "stats-hours",
            &[("n", &format!("{:.1}", hours).replace('.', ","))],
        )
    } else {
        t_args(
            lang,
            "stats-days",
            &[("n", &format!("{:.1}", hours / 24.0).replace('.', ","))],
        )
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// "Tháng 3/2026 (15/02/2026 – 14/03/2026)".
pub fn period_label(lang: Lang, p: &Period) -> String {
    let n = p.number.to_string();
    let y = p.year.to_string();
    let name = match p.kind {
        Kind::Month => t_args(lang, "period-month", &[("n", &n), ("year", &y)]),
        Kind::Quarter => t_args(lang, "period-quarter", &[("n", &n), ("year", &y)]),
        Kind::Half => t_args(lang, "period-half", &[("n", &n), ("year", &y)]),
        Kind::Year => t_args(lang, "period-year", &[("year", &y)]),
        Kind::CalendarMonth => t_args(lang, "period-calendar-month", &[("n", &n), ("year", &y)]),
        Kind::CalendarQuarter => {
            t_args(lang, "period-calendar-quarter", &[("n", &n), ("year", &y)])
        }
        Kind::CalendarYear => t_args(lang, "period-calendar-year", &[("year", &y)]),
        Kind::Custom => t(lang, "period-custom"),
    };
    format!("{name} ({} – {})", date(p.from), date(p.last_day()))
}

/// The periods offered in the picker: this and the previous reporting and
/// calendar periods of each kind, around `today`.
pub fn choices(lang: Lang, today: NaiveDate, cutoff: u32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(month) = Period::month_of(today, cutoff) else {
        return out;
    };
    let mut m = month;
    for _ in 0..13 {
        out.push((m.code(), period_label(lang, &m)));
        match m.previous(cutoff) {
            Ok(p) => m = p,
            Err(_) => break,
        }
    }
    let year = month.year;
    for (kind, count) in [(Kind::Quarter, 4u32), (Kind::Half, 2), (Kind::Year, 1)] {
        for y in [year, year - 1] {
            for n in (1..=count).rev() {
                if let Ok(p) = Period::of(kind, y, n, cutoff) {
                    if p.from <= today {
                        out.push((p.code(), period_label(lang, &p)));
                    }
                }
            }
        }
    }
    for (kind, count) in [
        (Kind::CalendarMonth, 12u32),
        (Kind::CalendarQuarter, 4),
        (Kind::CalendarYear, 1),
    ] {
        for n in (1..=count).rev() {
            if let Ok(p) = Period::of(kind, year, n, cutoff) {
                if p.from <= today {
                    out.push((p.code(), period_label(lang, &p)));
                }
            }
        }
    }
    out
}

struct Links<'a> {
    base: String,
    period: &'a Period,
}

impl Links<'_> {
    /// `{head}{from_key}=first day&{to_key}=last day{tail}`: a list over the period.
    fn over(&self, head: &str, (from_key, to_key): (&str, &str), tail: &str) -> Option<String> {
        Some(format!(
            "{head}{from_key}={}&{to_key}={}{tail}",
            ymd(self.period.from),
            ymd(self.period.last_day())
        ))
    }
    fn received(&self, extra: &str) -> Option<String> {
        self.over(
            "/cases?status=reports&",
            ("from", "to"),
            &format!("{}{extra}", self.base),
        )
    }
    fn decided(&self, extra: &str) -> Option<String> {
        self.stepped("decided", extra)
    }
    /// The cases that took `step` (decided, classified, assigned) in the period.
    fn stepped(&self, step: &str, extra: &str) -> Option<String> {
        self.over(
            "/cases?status=reports&",
            (&format!("{step}_from"), &format!("{step}_to")),
            &format!("{}{extra}", self.base),
        )
    }
    /// The cases with money `kind` (frozen, returned) recorded in the period;
    /// merged duplicates too, as the money on them was still recovered.
    fn recovered(&self, kind: &str) -> Option<String> {
        self.over(
            &format!("/cases?status=all&recovered={kind}&"),
            ("recovered_from", "recovered_to"),
            &self.base,
        )
    }
    /// Public reports received in the period (`show`: triaged, spam, or all).
    fn intake(&self, show: &str) -> Option<String> {
        self.over("/intake?", ("from", "to"), show)
    }
}

/// The filter's query without its type (rows by type set their own).
fn without_type(q: &str) -> String {
    q.split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("type="))
        .map(|p| format!("&{p}"))
        .collect()
}

pub fn build(s: &Stats, lang: Lang, categories: &[Category], unit_name: &str) -> View {
    let Some(period) = s.now.period else {
        return empty(lang);
    };
    let own = if s.scope == Scope::Own {
        "&assignee=me"
    } else {
        ""
    };
    let filter_q = s.filter.query();
    let links = Links {
        base: format!("{filter_q}{own}"),
        period: &period,
    };
    let typeless = format!("{}{own}", without_type(&filter_q));
    let (now, prev, last) = (&s.now.f, &s.previous.f, &s.year_before.f);
    let row =
        |label: String, def: &'static str, n: i64, p: i64, y: i64, href: Option<String>| Row {
            label,
            value: crate::domain::value::fmt_thousands(n),
            href,
            vs_previous: change(n, p),
            vs_year: change(n, y),
            nested: false,
            def,
        };
    let money_row = |label: String, def: &'static str, n: i64, p: i64, y: i64| Row {
        value: crate::domain::value::fmt_vnd(n),
        ..row(label, def, n, p, y, None)
    };
    let summary = vec![
        row(
            t(lang, "stats-received"),
            "def-received",
            now.received,
            prev.received,
            last.received,
            links.received(""),
        ),
        row(
            t(lang, "stats-decided"),
            "def-decided",
            now.decided,
            prev.decided,
            last.decided,
            links.decided(""),
        ),
        row(
            t(lang, "stats-open-at-end"),
            "def-open",
            s.now.open_at_end,
            s.previous.open_at_end,
            s.year_before.open_at_end,
            Some(format!(
                "/cases?status=reports&open_on={}{}",
                ymd(period.last_day()),
                links.base
            )),
        ),
        Row {
            vs_previous: String::new(),
            vs_year: String::new(),
            ..row(
                t(lang, "stats-overdue-now"),
                "def-overdue",
                s.overdue_now,
                0,
                0,
                Some(format!(
                    "/cases?type={}&deadline=overdue{}",
                    s.filter.case_type.unwrap_or(CaseType::CrimeReport).code(),
                    typeless
                )),
            )
        },
        // The loss is the received cases' total: their list is its source.
        Row {
            href: links.received(""),
            ..money_row(
                t(lang, "stats-loss"),
                "def-loss",
                now.loss,
                prev.loss,
                last.loss,
            )
        },
        Row {
            href: links.recovered("frozen"),
            ..money_row(
                t(lang, "stats-frozen"),
                "def-frozen",
                s.now.money.frozen,
                s.previous.money.frozen,
                s.year_before.money.frozen,
            )
        },
        Row {
            href: links.recovered("returned"),
            ..money_row(
                t(lang, "stats-returned"),
                "def-returned",
                s.now.money.returned,
                s.previous.money.returned,
                s.year_before.money.returned,
            )
        },
    ];
    let by_type = CaseType::ALL
        .iter()
        .filter(|ct| s.filter.case_type.is_none_or(|f| f == **ct))
        .map(|ct| {
            let get = |f: &Figures| f.by_type.get(ct.code()).copied().unwrap_or(0);
            row(
                t(lang, ct.label_key()),
                "def-received",
                get(now),
                get(prev),
                get(last),
                Some(format!(
                    "/cases?status=reports&from={}&to={}&type={}{typeless}",
                    ymd(period.from),
                    ymd(period.last_day()),
                    ct.code()
                )),
            )
        })
        .collect();
    let mut by_category = Vec::new();
    let cat_base = without_category(&links.base);
    for top in categories.iter().filter(|c| c.parent_id.is_none()) {
        let key = top.id.to_string();
        let get = |f: &Figures| f.by_category.get(&key).copied().unwrap_or(0);
        if get(now) == 0 && get(prev) == 0 && get(last) == 0 {
            continue;
        }
        by_category.push(row(
            top.name(&lang).to_owned(),
            "def-received",
            get(now),
            get(prev),
            get(last),
            links_with(&links, &cat_base, &format!("&category={}", top.id)),
        ));
        for sub in categories.iter().filter(|c| c.parent_id == Some(top.id)) {
            let key = sub.id.to_string();
            let get = |f: &Figures| f.by_subcategory.get(&key).copied().unwrap_or(0);
            if get(now) == 0 && get(prev) == 0 && get(last) == 0 {
                continue;
            }
            by_category.push(Row {
                nested: true,
                ..row(
                    sub.name(&lang).to_owned(),
                    "def-received",
                    get(now),
                    get(prev),
                    get(last),
                    links_with(&links, &cat_base, &format!("&category={}", sub.id)),
                )
            });
        }
    }
    let none = |f: &Figures| f.by_category.get("").copied().unwrap_or(0);
    if none(now) + none(prev) + none(last) > 0 {
        by_category.push(row(
            t(lang, "stats-uncategorised"),
            "def-received",
            none(now),
            none(prev),
            none(last),
            links_with(&links, &cat_base, "&category=none"),
        ));
    }
    let chan_base = without_key(&links.base, "channel=");
    let by_channel = Channel::ALL
        .iter()
        .map(|c| {
            let get = |f: &Figures| f.by_channel.get(c.code()).copied().unwrap_or(0);
            row(
                t(lang, c.label_key()),
                "def-received",
                get(now),
                get(prev),
                get(last),
                links_with(&links, &chan_base, &format!("&channel={}", c.code())),
            )
        })
        .filter(|r| r.value != "0" || r.vs_previous != "0" || r.vs_year != "0")
        .collect();
    let results = RESULTS
        .iter()
        .map(|r| {
            row(
                t(lang, &format!("stats-result-{r}")),
                "def-decided",
                now.result(r),
                prev.result(r),
                last.result(r),
                links.decided(&format!("&result={r}")),
            )
        })
        .collect();
    let judged = now.judged();
    let mut compliance: Vec<Row> = COMPLIANCE
        .iter()
        .map(|c| {
            let get = |f: &Figures| f.compliance.get(*c).copied().unwrap_or(0);
            let mut r = row(
                t(lang, &format!("stats-compliance-{c}")),
                "def-compliance",
                get(now),
                get(prev),
                get(last),
                Some(format!(
                    "/cases?status=reports&type=crime_report&decided_from={}&decided_to={}&compliance={c}{typeless}",
                    ymd(period.from),
                    ymd(period.last_day())
                )),
            );
            if judged > 0 {
                r.value = format!("{} ({})", r.value, percent(100.0 * get(now) as f64 / judged as f64));
            }
            r
        })
        .collect();
    if let Some((first, with_ext)) = now.in_time_shares() {
        compliance.push(Row {
            label: t(lang, "stats-compliance-share"),
            value: format!("{} / {}", percent(first), percent(with_ext)),
            // The share is of the crime reports judged against the deadline.
            href: Some(format!(
                "/cases?status=reports&type=crime_report&decided_from={}&decided_to={}&compliance=judged{typeless}",
                ymd(period.from),
                ymd(period.last_day())
            )),
            vs_previous: String::new(),
            vs_year: String::new(),
            nested: false,
            def: "def-compliance",
        });
    }
    let times = TIMES
        .iter()
        .map(|w| {
            let b = now.time(w);
            let q = |p: f64| {
                b.quantile(p)
                    .map(|s| format!("≈ {}", duration(lang, s)))
                    .unwrap_or_else(|| "—".into())
            };
            let step = match *w {
                "classify" => "classified",
                "assign" => "assigned",
                _ => "decided",
            };
            TimeRow {
                label: t(lang, &format!("stats-time-{w}")),
                count: b.count(),
                href: links.stepped(step, "").unwrap_or_default(),
                median: q(0.5),
                p90: q(0.9),
            }
        })
        .collect();
    let intake = match &s.intake {
        None => Vec::new(),
        Some(i) => vec![
            row(
                t(lang, "stats-intake-received"),
                "def-intake",
                i.received,
                0,
                0,
                links.intake(""),
            ),
            row(
                t(lang, "stats-intake-triaged"),
                "def-intake",
                i.triaged,
                0,
                0,
                links.intake("&show=triaged"),
            ),
            row(
                t(lang, "stats-intake-spam"),
                "def-intake",
                i.spam,
                0,
                0,
                links.intake("&show=spam"),
            ),
            Row {
                value: i
                    .median_seconds
                    .map(|s| format!("≈ {}", duration(lang, s)))
                    .unwrap_or_else(|| "—".into()),
                ..row(
                    t(lang, "stats-intake-median"),
                    "def-intake",
                    0,
                    0,
                    0,
                    links.intake("&show=decided"),
                )
            },
        ]
        .into_iter()
        .map(|r| Row {
            vs_previous: String::new(),
            vs_year: String::new(),
            ..r
        })
        .collect(),
    };
    let transfers = s
        .transfers_out
        .iter()
        .map(|(state, n)| Row {
            vs_previous: String::new(),
            vs_year: String::new(),
            ..row(
                t(lang, &format!("transfer-state-{state}")),
                "def-transfers",
                *n,
                0,
                0,
                Some(format!(
                    "/transfers?state={state}&from={}&to={}",
                    ymd(period.from),
                    ymd(period.last_day())
                )),
            )
        })
        .collect();
    let heading = match s.scope {
        Scope::Unit => t_args(lang, "stats-heading-unit", &[("unit", unit_name)]),
        Scope::Own => t(lang, "stats-heading-own"),
    };
    View {
        heading,
        computed_at: Some(s.computed_at),
        period_label: period_label(lang, &period),
        summary,
        by_type,
        by_category,
        by_channel,
        results,
        compliance,
        times,
        intake,
        transfers,
        top: s.top.clone(),
        charts: charts(s, lang),
    }
}

fn without_key(q: &str, key: &str) -> String {
    q.split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(key))
        .map(|p| format!("&{p}"))
        .collect()
}

fn without_category(q: &str) -> String {
    without_key(q, "category=")
}

/// Received in the period, with `base` instead of the page's filter.
fn links_with(links: &Links, base: &str, extra: &str) -> Option<String> {
    links.over(
        "/cases?status=reports&",
        ("from", "to"),
        &format!("{base}{extra}"),
    )
}

fn empty(lang: Lang) -> View {
    View {
        heading: t(lang, "stats-title"),
        computed_at: None,
        period_label: String::new(),
        summary: Vec::new(),
        by_type: Vec::new(),
        by_category: Vec::new(),
        by_channel: Vec::new(),
        results: Vec::new(),
        compliance: Vec::new(),
        times: Vec::new(),
        intake: Vec::new(),
        transfers: Vec::new(),
        top: Vec::new(),
        charts: Vec::new(),
    }
}

/// "03/2026": a month on the charts' axis (the month it ends in).
fn month_label(p: &Period) -> String {
    format!("{:02}/{}", p.number, p.year)
}

fn charts(s: &Stats, lang: Lang) -> Vec<Chart> {
    let months: Vec<String> = s.months.iter().map(|m| month_label(&m.period)).collect();
    let range = match (s.months.first(), s.months.last()) {
        (Some(a), Some(b)) => format!("{} – {}", date(a.period.from), date(b.period.last_day())),
        _ => String::new(),
    };
    let head =
        |key: &str, arg: (&str, &str)| (t(lang, key), t_args(lang, &format!("{key}-desc"), &[arg]));
    let period = s
        .now
        .period
        .map(|p| period_label(lang, &p))
        .unwrap_or_default();
    let received = Chart::bars(
        "chart-received",
        head("stats-chart-received", ("range", &range)),
        Data {
            categories: months.clone(),
            series: CaseType::ALL
                .iter()
                .map(|c| t(lang, c.label_key()))
                .collect(),
            values: s
                .months
                .iter()
                .map(|m| {
                    CaseType::ALL
                        .iter()
                        .map(|c| m.f.by_type.get(c.code()).copied().unwrap_or(0))
                        .collect()
                })
                .collect(),
        },
        true,
        Unit::Count,
    );
    let outcomes = Chart::bars(
        "chart-outcomes",
        head("stats-chart-outcomes", ("period", &period)),
        Data {
            categories: RESULTS
                .iter()
                .map(|r| t(lang, &format!("stats-result-{r}")))
                .collect(),
            series: vec![t(lang, "stats-decided")],
            values: RESULTS.iter().map(|r| vec![s.now.f.result(r)]).collect(),
        },
        false,
        Unit::Count,
    );
    let compliance = Chart::bars(
        "chart-compliance",
        head("stats-chart-compliance", ("range", &range)),
        Data {
            categories: months.clone(),
            series: vec![
                t(lang, "stats-compliance-first"),
                t(lang, "stats-compliance-with-extension"),
            ],
            values: s
                .months
                .iter()
                .map(|m| match m.f.in_time_shares() {
                    Some((a, b)) => vec![(a * 10.0).round() as i64, (b * 10.0).round() as i64],
                    None => vec![0, 0],
                })
                .collect(),
        },
        false,
        Unit::PerMille,
    );
    let loss = Chart::bars(
        "chart-loss",
        head("stats-chart-loss", ("range", &range)),
        Data {
            categories: months,
            series: vec![
                t(lang, "stats-loss"),
                t(lang, "stats-frozen"),
                t(lang, "stats-returned"),
            ],
            values: s
                .months
                .iter()
                .map(|m| vec![m.f.loss, m.money.frozen, m.money.returned])
                .collect(),
        },
        false,
        Unit::Money,
    );
    vec![received, outcomes, compliance, loss]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_with_sign_and_share() {
        assert_eq!(change(12, 10), "+2 (+20,0%)");
        assert_eq!(change(8, 10), "−2 (−20,0%)");
        assert_eq!(change(5, 0), "+5");
        assert_eq!(change(0, 0), "0");
        assert_eq!(change(1500, 1000), "+500 (+50,0%)");
    }

    #[test]
    fn durations_read_in_minutes_hours_or_days() {
        assert_eq!(duration(Lang::En, 600.0), "10 min");
        assert_eq!(duration(Lang::En, 3.5 * 3600.0), "3,5 h");
        assert_eq!(duration(Lang::En, 3.0 * 86400.0), "3,0 days");
    }

    #[test]
    fn the_picker_offers_this_month_first() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let c = choices(Lang::Vi, today, 15);
        assert_eq!(c[0].0, "m2026-12");
        assert!(c.iter().any(|(code, _)| code == "y2026"));
        assert!(c.iter().any(|(code, _)| code == "cm2026-11"));
    }
}
