//! Who is asking: passwords, session tokens, CSRF tokens and the signed-in user.
//! Plain Rust; the actix extractors live in `routes::extract`.

pub mod password;
pub mod policy;

use sha2::{Digest, Sha256};

use crate::domain::role::Role;
pub use crate::domain::RequestMeta;
use crate::i18n::Lang;

/// The signed-in user, as loaded with the session on each request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub session_id: i64,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub team: Option<String>,
    pub on_duty: bool,
    pub lang: Lang,
    pub must_change_password: bool,
    pub csrf_token: String,
    /// Their unit: they see and work its cases and reports only.
    pub unit_id: i32,
    /// Its current name, for the page header (filled from the cache).
    pub unit_name: String,
    /// Its time zone, in which pages show times (filled from the cache; None:
    /// `TIME_ZONE`).
    pub unit_tz: Option<chrono_tz::Tz>,
    /// How far their sign-in got: only `Full` reaches the application.
    pub stage: crate::models::session::Stage,
}

impl CurrentUser {
    /// The time zone of their unit, in which the case form's times are read
    /// and the legal clocks end their days; `fallback` is `TIME_ZONE`.
    pub fn tz(&self, fallback: chrono_tz::Tz) -> chrono_tz::Tz {
        self.unit_tz.unwrap_or(fallback)
    }

    /// Signed in all the way: password changed, second factor given or set up.
    pub fn fully_signed_in(&self) -> bool {
        !self.must_change_password && self.stage == crate::models::session::Stage::Full
    }
}

/// SHA-256 of a session token: the only form of it the database ever sees.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token::{random_token, tokens_match};

    #[test]
    fn tokens_are_random_and_hex() {
        let a = random_token(32);
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_token(32));
        assert_eq!(hash_token(&a).len(), 32);
    }

    #[test]
    fn token_comparison() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("abc", "abcd"));
    }
}
