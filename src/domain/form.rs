//! What a form sent and what is wrong with it: the posted fields (with repeatable
//! rows named `<prefix>-<n>-<field>`) and per-field messages, carried back to
//! the form that is re-rendered.

use crate::i18n::MsgKey;

/// Most rows of one repeatable block (money, identifiers) a public form is read with.
pub const MAX_ROWS: usize = 20;

/// The input name of field `field` of row `n`: `tx-3-amount`.
pub fn row_name(prefix: &str, n: usize, field: &str) -> String {
    format!("{prefix}-{n}-{field}")
}

/// `(n, field)` of an input named `<prefix>-<n>-<field>`.
pub fn row_field<'a>(key: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let (n, field) = key
        .strip_prefix(prefix)?
        .strip_prefix('-')?
        .split_once('-')?;
    Some((n.parse().ok()?, field))
}

#[derive(Clone, Debug, Default)]
pub struct FormErrors(Vec<(String, MsgKey)>);

impl FormErrors {
    pub fn add(&mut self, field: impl Into<String>, key: MsgKey) {
        let field = field.into();
        if self.get(&field).is_none() {
            self.0.push((field, key));
        }
    }

    /// The message key for `field`, if it has an error.
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, key)| key.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (field, message key) pairs in the order found, for the error summary.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &'static str)> + '_ {
        self.0.iter().map(|(f, key)| (f.as_str(), key.0))
    }

    pub fn into_result(self) -> Result<(), FormErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// Trims and bounds a required free-text field.
/// A day as a date field sends it (`yyyy-mm-dd`) or as people type it
/// (`dd/mm/yyyy`).
pub fn parse_day(v: &str) -> Option<chrono::NaiveDate> {
    let v = v.trim();
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(v, "%d/%m/%Y"))
        .ok()
}

pub fn required_text(
    errors: &mut FormErrors,
    field: &'static str,
    value: &str,
    max: usize,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, crate::i18n::k("field-required"));
    } else if value.chars().count() > max {
        errors.add(field, crate::i18n::k("field-too-long"));
    }
    value.to_owned()
}

/// Trims and bounds an optional free-text field; blank becomes `None`.
pub fn optional_text(
    errors: &mut FormErrors,
    field: &'static str,
    value: &str,
    max: usize,
) -> Option<String> {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, crate::i18n::k("field-too-long"));
    }
    (!value.is_empty()).then(|| value.to_owned())
}

/// The raw fields of a public form, as posted.
#[derive(Clone, Debug, Default)]
pub struct FormInput {
    pub pairs: Vec<(String, String)>,
}

impl FormInput {
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Rows of a repeatable block to show: those posted, at least `min`, one
    /// more when its "add another" button was pressed.
    pub fn rows(&self, prefix: &str, min: usize) -> usize {
        let posted = self
            .pairs
            .iter()
            .filter_map(|(k, _)| {
                k.strip_prefix(prefix)?
                    .strip_prefix('-')?
                    .split('-')
                    .next()?
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i < MAX_ROWS)
            })
            .max()
            .map_or(0, |i| i + 1);
        let add = usize::from(self.checked(&format!("add_{prefix}")));
        (posted.max(min) + add).min(MAX_ROWS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeatable_rows_grow_on_request_and_are_bounded() {
        let mut f = FormInput::default();
        assert_eq!(f.rows("tx", 2), 2);
        f.pairs.push(("tx-4-amount".into(), "1".into()));
        assert_eq!(f.rows("tx", 2), 5);
        f.pairs.push(("add_tx".into(), "1".into()));
        assert_eq!(f.rows("tx", 2), 6);
        // Row numbers past the limit are ignored (and cannot overflow).
        f.pairs.push(("tx-999-amount".into(), "1".into()));
        f.pairs
            .push(("tx-18446744073709551615-amount".into(), "1".into()));
        assert_eq!(f.rows("tx", 2), 6);
        f.pairs.push(("tx-19-amount".into(), "1".into()));
        assert_eq!(f.rows("tx", 2), MAX_ROWS);
    }
}
