//! Suggests identifiers found in free text (placeholder until the extractor lands).

use super::normalise::IdKind;

pub struct Bank {
    pub code: String,
    pub names: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub kind: IdKind,
    pub value: String,
    pub found: String,
}

pub fn extract(_text: &str, _banks: &[Bank]) -> Vec<Suggestion> {
    Vec::new()
}
