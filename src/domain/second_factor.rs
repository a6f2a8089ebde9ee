//! The second factor (`docs/domain.md` §16): TOTP codes (RFC 6238, through
//! `totp-rs`: SHA-1, 6 digits, 30-second steps, the authenticator apps'
//! defaults), each accepted once and one step either side; single-use
//! recovery codes; the enrolment QR code drawn as SVG here, with no service
//! elsewhere. Plain Rust.

use std::fmt::Write;

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

/// Seconds per code.
pub const STEP: u64 = 30;

/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// Recovery codes given at once.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: &[u8], issuer: &str, account: &str) -> Option<TOTP> {
    // The otpauth label may not hold ':' (it separates issuer and account).
    let issuer = issuer.replace(':', " ");
    let account = account.replace(':', " ");
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        secret.to_vec(),
        Some(issuer),
        account,
    )
    .ok()
}

/// What a person typed as a code: digits and letters only, lower-cased
/// ("123 456", "abcd-efgh" are read as typed on a phone).
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(64)
        .collect()
}

/// The time step `code` is valid for at `now` (Unix seconds): this step or
/// one either side, and only one later than `last_step`, so a code (or an
/// earlier one) is never accepted twice.
pub fn matching_step(secret: &[u8], code: &str, now: u64, last_step: u64) -> Option<u64> {
    let code = normalise_code(code);
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "cyberdesk", "x")?;
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .filter(|step| *step > last_step)
        .find(|step| crate::domain::token::tokens_match(&t.generate(step * STEP), &code))
}

/// The code an authenticator shows at `unix` seconds (what the tests type).
pub fn code_at(secret: &[u8], unix: u64) -> String {
    totp(secret, "cyberdesk", "x").map_or_else(String::new, |t| t.generate(unix))
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn otpauth_url(secret: &[u8], issuer: &str, account: &str) -> String {
    totp(secret, issuer, account).map_or_else(String::new, |t| t.get_url())
}

/// The secret as base32, grouped by four for typing by hand.
pub fn secret_text(secret: &[u8]) -> String {
    let b32 = totp(secret, "cyberdesk", "x").map_or_else(String::new, |t| t.get_secret_base32());
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code of `text` as an SVG image (dark modules on white).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// Ten recovery codes of ten letters and digits (about 50 bits each), shown
/// as `abcde-fghij`, from an alphabet without look-alikes.
pub fn new_recovery_codes() -> Vec<String> {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut s = String::with_capacity(11);
            for i in 0..10 {
                if i == 5 {
                    s.push('-');
                }
                let _ = s.write_char(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
            }
            s
        })
        .collect()
}

/// SHA-256 of a recovery code as typed (normalised): what is stored.
pub fn recovery_hash(typed: &str) -> Vec<u8> {
    Sha256::digest(normalise_code(typed).as_bytes()).to_vec()
}

/// A fresh random secret.
pub fn new_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut buf = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1, truncated to 6 digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_vectors() {
        let t = totp(RFC_SECRET, "x", "y").expect("totp");
        assert_eq!(t.generate(59), "287082");
        assert_eq!(t.generate(1111111109), "081804");
        assert_eq!(t.generate(2000000000), "279037");
    }

    #[test]
    fn a_code_counts_once_and_one_step_either_side() {
        let now = 1111111109;
        let step = now / STEP;
        assert_eq!(matching_step(RFC_SECRET, "081 804", now, 0), Some(step));
        assert_eq!(
            matching_step(RFC_SECRET, "081804", now, step),
            None,
            "replayed"
        );
        assert_eq!(
            matching_step(RFC_SECRET, "081804", now + 30, 0),
            Some(step),
            "one step late"
        );
        assert_eq!(
            matching_step(RFC_SECRET, "081804", now + 90, 0),
            None,
            "too late"
        );
        assert_eq!(matching_step(RFC_SECRET, "081805", now, 0), None);
        assert_eq!(matching_step(RFC_SECRET, "", now, 0), None);
        assert_eq!(matching_step(RFC_SECRET, "08180a", now, 0), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let c = &codes[0];
        assert_eq!(c.len(), 11);
        assert_eq!(
            recovery_hash(c),
            recovery_hash(&c.to_uppercase().replace('-', " "))
        );
    }

    #[test]
    fn enrolment_shows_a_url_a_qr_code_and_typeable_text() {
        let url = otpauth_url(RFC_SECRET, "PA05: Công an", "lan@pa05.vn");
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(
            url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{url}"
        );
        let svg = qr_svg(&url);
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
        assert_eq!(
            secret_text(RFC_SECRET).replace(' ', ""),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }
}
