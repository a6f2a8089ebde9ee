//! The audit log's hash chain (`docs/domain.md` §17): what a row's hash
//! covers, and the check of one link. The database computes the hashes as
//! rows are written (a trigger); this is the independent check. Plain Rust.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The hash before the first row.
pub const GENESIS: [u8; 32] = [0; 32];

/// One row of the log as the chain covers it (`detail` as PostgreSQL prints
/// the JSONB, which is canonical: keys sorted, one space after `:` and `,`).
#[derive(Clone, Debug)]
pub struct Link {
    pub seq: i64,
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: String,
    pub api_token_id: Option<i64>,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
}

impl Link {
    /// The text the hash covers: the fields joined by U+001F, as the
    /// database's `audit_row_text` writes them.
    pub fn text(&self) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        [
            self.seq.to_string(),
            self.id.to_string(),
            self.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            num(self.actor_id),
            self.action.clone(),
            opt(&self.target_type),
            opt(&self.target_id),
            opt(&self.ip),
            opt(&self.user_agent),
            self.detail.clone(),
            num(self.api_token_id),
        ]
        .join("\u{1f}")
    }

    /// SHA-256 of the previous hash and this row's text.
    pub fn expected_hash(&self, prev: &[u8]) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(prev);
        h.update(self.text().as_bytes());
        h.finalize().to_vec()
    }
}

/// What is wrong with a row of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A row missing between two others (its position is skipped).
    Gap,
    /// Its link does not name the previous row's hash.
    Link,
    /// Its content no longer gives its hash: it was changed.
    Content,
}

impl Fault {
    /// Catalogue key of the same, for mail.
    pub fn label_key(self) -> &'static str {
        match self {
            Fault::Gap => "audit-fault-gap",
            Fault::Link => "audit-fault-link",
            Fault::Content => "audit-fault-content",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Fault::Gap => "a row is missing before it",
            Fault::Link => "its link does not match the previous row's hash",
            Fault::Content => "its content does not match its hash (it was changed)",
        }
    }
}

/// Checks one row after the row at `prev_seq` with hash `prev`.
pub fn check(link: &Link, prev_seq: i64, prev: &[u8]) -> Result<(), Fault> {
    if link.seq != prev_seq + 1 {
        return Err(Fault::Gap);
    }
    if link.prev_hash.as_deref() != Some(prev) {
        return Err(Fault::Link);
    }
    if link.hash.as_deref() != Some(link.expected_hash(prev).as_slice()) {
        return Err(Fault::Content);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, prev: &[u8]) -> Link {
        let mut l = Link {
            seq,
            id: seq + 10,
            at: DateTime::from_timestamp_micros(1_764_633_600_123_456).expect("time"),
            actor_id: Some(3),
            action: "case_note".into(),
            target_type: Some("case".into()),
            target_id: Some("PA05-TP-2026-000001".into()),
            ip: None,
            user_agent: None,
            detail: "{\"length\": 12}".into(),
            api_token_id: None,
            prev_hash: Some(prev.to_vec()),
            hash: None,
        };
        l.hash = Some(l.expected_hash(prev));
        l
    }

    #[test]
    fn a_chain_checks_and_each_kind_of_break_is_named() {
        let a = row(1, &GENESIS);
        assert_eq!(check(&a, 0, &GENESIS), Ok(()));
        let a_hash = a.hash.clone().expect("hash");
        let b = row(2, &a_hash);
        assert_eq!(check(&b, 1, &a_hash), Ok(()));
        assert_eq!(check(&b, 0, &GENESIS), Err(Fault::Gap));
        let mut changed = b.clone();
        changed.detail = "{\"length\": 13}".into();
        assert_eq!(check(&changed, 1, &a_hash), Err(Fault::Content));
        let mut relinked = b.clone();
        relinked.prev_hash = Some(GENESIS.to_vec());
        assert_eq!(check(&relinked, 1, &a_hash), Err(Fault::Link));
        assert!(
            a.text().contains("2025-12-02T00:00:00.123456"),
            "{}",
            a.text()
        );
    }
}
