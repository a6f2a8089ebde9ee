//! Argon2id password hashing (PHC strings) and password rules. Callers run these
//! inside `db::run`/`web::block`: one hash takes ~19 MiB and tens of milliseconds.

use std::sync::LazyLock;

use argon2::{password_hash::phc::PasswordHash, Argon2, PasswordHasher, PasswordVerifier};
use rand::Rng;

use crate::i18n::{k, MsgKey};

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

/// Argon2id v19 with the OWASP parameters (m=19456 KiB, t=2, p=1), the crate default.
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// Hashes a password with a fresh random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let hash: PasswordHash = hasher().hash_password(password.as_bytes())?;
    Ok(hash.to_string())
}

/// Checks a password against a stored PHC string; malformed hashes never match.
pub fn verify(password: &str, phc: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

/// What a service account stores instead of a hash: not a PHC string, so no
/// password ever matches it.
pub const NO_PASSWORD: &str = "!service";

/// A hash of a random password, verified against when the e-mail is unknown so that
/// unknown accounts take as long as wrong passwords.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash(&generate()).unwrap_or_default());

/// Spends the same work as a real verification, and always fails.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY_HASH);
}

/// A strong one-time password: 20 characters from an alphabet without look-alikes
/// (no 0/O, 1/l/I), about 115 bits, easy to read out and type.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Rules for a password a person chooses. Returns the message key of the first
/// rule broken.
pub fn check_new(password: &str, email: &str) -> Result<(), MsgKey> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(k("password-too-short"));
    }
    if len > MAX_LEN {
        return Err(k("password-too-long"));
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    if lower == email || (local.len() >= 4 && lower.contains(local)) {
        return Err(k("password-like-email"));
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err(k("password-too-simple"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn generated_passwords_pass_the_rules() {
        let p = generate();
        assert_eq!(p.len(), 20);
        assert!(check_new(&p, "lan@pa05.vn").is_ok());
    }

    #[test]
    fn password_rules() {
        assert_eq!(check_new("short", "a@b.vn"), Err(k("password-too-short")));
        assert_eq!(
            check_new(&"ab".repeat(70), "a@b.vn"),
            Err(k("password-too-long"))
        );
        assert_eq!(
            check_new("nguyenvanlan2026", "nguyenvanlan@pa05.vn"),
            Err(k("password-like-email"))
        );
        assert_eq!(
            check_new("aaaaaaaaaaaaaa", "a@b.vn"),
            Err(k("password-too-simple"))
        );
    }
}
