//! Signed, expiring tokens for the public side, which has no sessions: the form
//! start time (minimum fill time), the challenge answer, and the grant that lets
//! a reporter who proved their tracking code add information.
//!
//! The key is generated once and kept in `app_secrets`, so every instance on the
//! database accepts what another signed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::token::{hex, tokens_match};

pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    /// A signer with `key` (kept in `app_secrets`, see `models::app_secret`).
    pub fn new(key: Vec<u8>) -> Signer {
        Signer { key }
    }

    fn mac(&self, purpose: &str, body: &str) -> String {
        // A key of any length is accepted by HMAC.
        let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        m.update(purpose.as_bytes());
        m.update(b"\0");
        m.update(body.as_bytes());
        hex(&m.finalize().into_bytes())
    }

    /// A keyed digest (hex) of `body` for `purpose`.
    pub fn digest(&self, purpose: &str, body: &str) -> String {
        self.mac(purpose, body)
    }

    /// `payload.expires.mac`; the payload must not contain dots.
    pub fn token(&self, purpose: &str, payload: &str, expires: i64) -> String {
        let body = format!("{payload}.{expires}");
        format!("{body}.{}", self.mac(purpose, &body))
    }

    /// The payload of a token for `purpose` that is intact and not expired at `now`.
    pub fn verify(&self, purpose: &str, token: &str, now: i64) -> Option<String> {
        let (body, mac) = token.rsplit_once('.')?;
        if !tokens_match(mac, &self.mac(purpose, body)) {
            return None;
        }
        let (payload, expires) = body.rsplit_once('.')?;
        (expires.parse::<i64>().ok()? >= now).then(|| payload.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_purpose_and_time() {
        let s = Signer {
            key: b"0123456789abcdef0123456789abcdef".to_vec(),
        };
        let t = s.token("grant", "42", 1000);
        assert_eq!(s.verify("grant", &t, 999).as_deref(), Some("42"));
        assert_eq!(s.verify("grant", &t, 1001), None, "expired");
        assert_eq!(s.verify("form", &t, 999), None, "other purpose");
        let forged = t.replacen("42", "43", 1);
        assert_eq!(s.verify("grant", &forged, 999), None);
        assert_eq!(s.verify("grant", "junk", 0), None);
    }
}
