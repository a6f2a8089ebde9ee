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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_well_and_are_long_enough() {
        let c = random_code(CODE_LEN);
        assert_eq!(c.len(), 13);
        assert!(!c.contains(['0', 'O', '1', 'I', 'L']));
        // log2(31^13) > 60
        assert!((CODE_LEN as f64) * (ALPHABET.len() as f64).log2() >= 60.0);
        let f = format_code(&c);
        assert_eq!(f.len(), 15);
        assert_eq!(normalise_code(&f.to_lowercase()), c);
    }
}
