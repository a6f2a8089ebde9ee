//! What an API token may do (`docs/domain.md` §15): a token acts as its user,
//! with the user's permissions narrowed to its scopes. Plain Rust.

use std::collections::BTreeSet;

use crate::i18n::{k, MsgKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    CasesRead,
    CasesWrite,
    SubmissionsRead,
    IdentifiersLookup,
    HotlistRead,
}

impl Scope {
    pub const ALL: &'static [Scope] = &[
        Scope::CasesRead,
        Scope::CasesWrite,
        Scope::SubmissionsRead,
        Scope::IdentifiersLookup,
        Scope::HotlistRead,
    ];

    /// As written in a token's scopes, the CLI and the API's documentation.
    pub fn code(self) -> &'static str {
        match self {
            Scope::CasesRead => "cases:read",
            Scope::CasesWrite => "cases:write",
            Scope::SubmissionsRead => "submissions:read",
            Scope::IdentifiersLookup => "identifiers:lookup",
            Scope::HotlistRead => "hotlist:read",
        }
    }

    /// Catalogue key of what the scope allows (Fluent ids have no colon).
    pub fn label_key(self) -> &'static str {
        match self {
            Scope::CasesRead => "scope-cases-read",
            Scope::CasesWrite => "scope-cases-write",
            Scope::SubmissionsRead => "scope-submissions-read",
            Scope::IdentifiersLookup => "scope-identifiers-lookup",
            Scope::HotlistRead => "scope-hotlist-read",
        }
    }

    pub fn parse(code: &str) -> Option<Scope> {
        Scope::ALL.iter().copied().find(|s| s.code() == code.trim())
    }
}

/// Reads a list of scopes ("cases:read,hotlist:read" or one per form field):
/// at least one, each known, duplicates dropped, in a stable order.
pub fn parse_list<'a>(codes: impl IntoIterator<Item = &'a str>) -> Result<Vec<Scope>, MsgKey> {
    let mut out = BTreeSet::new();
    for code in codes
        .into_iter()
        .flat_map(|c| c.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        out.insert(Scope::parse(code).ok_or(k("token-scope-unknown"))?);
    }
    if out.is_empty() {
        return Err(k("token-scope-required"));
    }
    Ok(out.into_iter().collect())
}

/// The longest a token may live, and the default the forms offer.
pub const MAX_TOKEN_DAYS: i64 = 730;
pub const DEFAULT_TOKEN_DAYS: i64 = 90;

/// A token's lifetime in days as typed: blank for the default, else 1 to
/// `MAX_TOKEN_DAYS`.
pub fn parse_days(v: &str) -> Result<i64, MsgKey> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(DEFAULT_TOKEN_DAYS);
    }
    match v.parse::<i64>() {
        Ok(n) if (1..=MAX_TOKEN_DAYS).contains(&n) => Ok(n),
        _ => Err(k("token-days-range")),
    }
}

/// The prefix every token starts with, so a leaked one is recognisable
/// (secret scanners, logs) and a session cookie is never taken for one.
pub const TOKEN_PREFIX: &str = "cdk_";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_strictly() {
        assert_eq!(
            parse_list(["hotlist:read, cases:read", "cases:read"]),
            Ok(vec![Scope::CasesRead, Scope::HotlistRead])
        );
        assert_eq!(parse_list(["cases:delete"]), Err(k("token-scope-unknown")));
        assert_eq!(parse_list([" , "]), Err(k("token-scope-required")));
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.code()), Some(*s));
        }
    }

    #[test]
    fn days_are_bounded() {
        assert_eq!(parse_days(""), Ok(DEFAULT_TOKEN_DAYS));
        assert_eq!(parse_days("30"), Ok(30));
        for bad in ["0", "-1", "731", "x", "1.5"] {
            assert_eq!(parse_days(bad), Err(k("token-days-range")), "{bad}");
        }
    }
}
