//! Text as people type it: Vietnamese with or without its diacritics.

/// Folds Vietnamese (and other Latin) diacritics, so matches can be found in the
/// original text the way `unaccent` finds them in the index.
pub fn fold(c: char) -> char {
    const GROUPS: &[(&str, char)] = &[
        ("àáạảãâầấậẩẫăằắặẳẵ", 'a'),
        ("ÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴ", 'A'),
        ("èéẹẻẽêềếệểễ", 'e'),
        ("ÈÉẸẺẼÊỀẾỆỂỄ", 'E'),
        ("ìíịỉĩ", 'i'),
        ("ÌÍỊỈĨ", 'I'),
        ("òóọỏõôồốộổỗơờớợởỡ", 'o'),
        ("ÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠ", 'O'),
        ("ùúụủũưừứựửữ", 'u'),
        ("ÙÚỤỦŨƯỪỨỰỬỮ", 'U'),
        ("ỳýỵỷỹ", 'y'),
        ("ỲÝỴỶỸ", 'Y'),
        ("đ", 'd'),
        ("Đ", 'D'),
    ];
    if c.is_ascii() {
        return c;
    }
    GROUPS
        .iter()
        .find(|(set, _)| set.contains(c))
        .map(|(_, base)| *base)
        .unwrap_or(c)
}

/// A comparison key: diacritics folded, lower case, runs of white space as one
/// space ("Ngân hàng  Ngoại thương" and "ngan hang ngoai thuong" are one).
pub fn fold_key(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(|c| fold(c).to_lowercase().next().unwrap_or(c))
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_diacritics_case_and_spacing() {
        assert_eq!(
            fold_key("  Ngân hàng  TMCP Ngoại thương "),
            "ngan hang tmcp ngoai thuong"
        );
        assert_eq!(fold_key("ĐÔNG Á"), fold_key("dong a"));
        assert_eq!(fold_key("VCB"), "vcb");
    }
}
