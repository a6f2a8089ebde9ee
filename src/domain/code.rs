//! Tracking codes and secrets of public reports: random, readable over the
//! phone, printed in groups, and read back however the person typed them.

use rand::Rng;

/// Alphabet of tracking codes and secrets: no 0/O, 1/I/L, so they read well
/// over the phone.
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 13 characters of 31: 64.4 bits.
pub const CODE_LEN: usize = 13;

pub fn random_code(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// `ABCD-EFGH-JKMNP`, as printed on the receipt.
pub fn format_code(code: &str) -> String {
    let c: Vec<char> = code.chars().collect();
    if c.len() != CODE_LEN {
        return code.to_owned();
    }
    format!(
        "{}-{}-{}",
        c[..4].iter().collect::<String>(),
        c[4..8].iter().collect::<String>(),
        c[8..].iter().collect::<String>()
    )
}

/// What a person typed as a code: case and separators do not matter.
pub fn normalise_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(40)
        .collect()
}
