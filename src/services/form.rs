//! Per-field validation messages, carried back to the form that is re-rendered.

use crate::i18n::MsgKey;

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
