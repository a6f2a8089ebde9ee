//! Who is asking: passwords, session tokens, CSRF tokens and the signed-in user.
//! Plain Rust; the actix extractors live in `routes::extract`.

pub mod password;
pub mod policy;
pub mod sign;

use rand::{distr::Alphanumeric, Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::i18n::Lang;
use crate::models::user::Role;

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
}

/// Where a request came from, for audit rows and throttling.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: String,
}

/// `bytes` random bytes from the OS-seeded CSPRNG, hex-encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex(&buf)
}

/// A random alphanumeric string (CSRF tokens for visitors who are not signed in).
pub fn random_alnum(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// SHA-256 of a session token: the only form of it the database ever sees.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Constant-time comparison for CSRF tokens.
pub fn tokens_match(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
