//! Replacing a person's details in free text (`docs/domain.md` §19): their
//! name, e-mail, ID numbers and accounts wherever they are written, and their
//! phone number however it is written ("0912 345 678", "+84912345678",
//! "0912.345.678").

/// What replaces a detail.
pub const MASK: &str = "[ẩn danh]";

/// The details to find in text.
#[derive(Default, Debug)]
pub struct Needles {
    /// Names, e-mail addresses, ID and account numbers, compared without case.
    words: Vec<Vec<char>>,
    /// Phone numbers as national digits ("0912345678").
    phones: Vec<String>,
}

/// The national digits of a phone number (`+84…`/`84…` → `0…`), if it has
/// enough digits to be one.
fn national(digits: &str) -> Option<String> {
    let d = match digits.strip_prefix("84") {
        Some(rest) if digits.len() >= 11 => format!("0{rest}"),
        _ => digits.to_owned(),
    };
    (d.len() >= 8).then_some(d)
}

impl Needles {
    /// A word shorter than three characters is not looked for (it would mask
    /// parts of other words).
    pub fn add_word(&mut self, w: &str) {
        let w: Vec<char> = w.trim().chars().flat_map(char::to_lowercase).collect();
        if w.len() >= 3 && !self.words.contains(&w) {
            self.words.push(w);
        }
    }

    pub fn add_phone(&mut self, p: &str) {
        let digits: String = p.chars().filter(char::is_ascii_digit).collect();
        if let Some(n) = national(&digits) {
            if !self.phones.contains(&n) {
                self.phones.push(n);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phones.is_empty()
    }

    /// `text` with every detail replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let lower: Vec<char> = chars
            .iter()
            .map(|c| c.to_lowercase().next().unwrap_or(*c))
            .collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'scan: while i < chars.len() {
            for w in &self.words {
                if lower[i..].starts_with(w) {
                    out.push_str(MASK);
                    i += w.len();
                    continue 'scan;
                }
            }
            if chars[i].is_ascii_digit()
                || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
            {
                // A run of digits with single spaces, dots or dashes between,
                // in groups; the phone is some consecutive groups of it
                // ("500.000 0912 345 678", "0912345678 0011…").
                let mut groups: Vec<(usize, usize)> = Vec::new();
                let mut end = i;
                if chars[end] == '+' {
                    end += 1;
                }
                let mut start = i;
                loop {
                    while end < chars.len() && chars[end].is_ascii_digit() {
                        end += 1;
                    }
                    groups.push((start, end));
                    if end + 1 < chars.len()
                        && matches!(chars[end], ' ' | '.' | '-')
                        && chars[end + 1].is_ascii_digit()
                    {
                        start = end + 1;
                        end += 1;
                    } else {
                        break;
                    }
                }
                let digits_of = |a: usize, b: usize| -> String {
                    chars[a..b].iter().filter(|c| c.is_ascii_digit()).collect()
                };
                let mut at = 0;
                let mut written = i;
                while at < groups.len() {
                    let hit = (at..groups.len()).find(|&last| {
                        national(&digits_of(groups[at].0, groups[last].1))
                            .is_some_and(|n| self.phones.contains(&n))
                    });
                    match hit {
                        Some(last) => {
                            out.extend(&chars[written..groups[at].0]);
                            out.push_str(MASK);
                            written = groups[last].1;
                            at = last + 1;
                        }
                        None => at += 1,
                    }
                }
                out.extend(&chars[written..end]);
                i = end;
                continue;
            }
            out.push(chars[i]);
            i += 1;
        }
        out
    }
}

/// A value shown without being revealed: its first four and last two
/// characters ("+849•••••78").
pub fn mask_value(v: &str) -> String {
    let chars: Vec<char> = v.chars().collect();
    if chars.len() <= 6 {
        return "•".repeat(chars.len());
    }
    let hidden = chars.len() - 6;
    format!(
        "{}{}{}",
        chars[..4].iter().collect::<String>(),
        "•".repeat(hidden),
        chars[chars.len() - 2..].iter().collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles() -> Needles {
        let mut n = Needles::default();
        n.add_word("Nguyễn Văn An");
        n.add_word("an@example.vn");
        n.add_word("001085012345");
        n.add_word("x");
        n.add_phone("+84912345678");
        n
    }

    #[test]
    fn names_addresses_and_numbers_are_masked_wherever_written() {
        let n = needles();
        assert_eq!(
            n.redact("Ông NGUYỄN VĂN AN (an@example.vn, CCCD 001085012345) gọi từ 0912 345 678."),
            "Ông [ẩn danh] ([ẩn danh], CCCD [ẩn danh]) gọi từ [ẩn danh]."
        );
        assert_eq!(
            n.redact("Số +84912345678 và 0912.345.678"),
            "Số [ẩn danh] và [ẩn danh]"
        );
    }

    #[test]
    fn a_masked_value_keeps_its_ends() {
        assert_eq!(mask_value("+84912345678"), "+849••••••78");
        assert_eq!(mask_value("12345"), "•••••");
    }

    #[test]
    fn other_numbers_and_short_words_stay() {
        let n = needles();
        // The suspect's phone, an amount, a date: not the reporter's.
        assert_eq!(
            n.redact("Chuyển 3.500.000 đ ngày 18/11/2026 cho 0987 654 321, tài khoản 1903 3444 5556 66 — x"),
            "Chuyển 3.500.000 đ ngày 18/11/2026 cho 0987 654 321, tài khoản 1903 3444 5556 66 — x"
        );
        assert!(Needles::default().is_empty());
        assert_eq!(Needles::default().redact("Nguyễn Văn An"), "Nguyễn Văn An");
    }
}
