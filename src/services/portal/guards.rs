//! What stands between the public form and an attacker: signed draft keys and
//! fill-time stamps, the number-in-words challenge during bursts.

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::domain::code::random_code;
use crate::domain::form::FormErrors;
use crate::domain::sign::Signer;
use crate::i18n::Lang;
use crate::models::submission::SubmissionFile;

/// A report refused: what to show next to the fields, and the files already
/// received and kept for the next attempt.
#[derive(Debug)]
pub struct Refusal {
    pub errors: FormErrors,
    pub staged: Vec<SubmissionFile>,
}

/// The anti-abuse checks that are not about the content.
pub struct Guards<'a> {
    pub signer: &'a Signer,
    pub now: DateTime<Utc>,
    pub min_fill_seconds: i64,
    /// Burst mode: a challenge answer is required.
    pub challenge: bool,
}

/// A draft key for a new form: random, and bound to the visitor's CSRF token
/// so nobody else can see or take the files staged under it.
pub fn new_draft(signer: &Signer, csrf: &str) -> String {
    let random = crate::domain::token::random_token(8);
    let mac = signer.digest("draft", &format!("{csrf}{random}"));
    format!("{random}{}", &mac[..16])
}

/// Whether `draft` was made by [`new_draft`] for this CSRF token.
pub fn draft_ok(signer: &Signer, csrf: &str, draft: &str) -> bool {
    if draft.len() != 32 || !draft.chars().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let (random, mac) = draft.split_at(16);
    let expected = signer.digest("draft", &format!("{csrf}{random}"));
    crate::domain::token::tokens_match(mac, &expected[..16])
}

/// The signed start time of a form.
pub fn form_stamp(signer: &Signer, now: DateTime<Utc>) -> String {
    signer.token(
        "form",
        &now.timestamp().to_string(),
        now.timestamp() + 24 * 3600,
    )
}

/// A challenge for bursts: a number written in words, to be typed in digits.
pub struct Challenge {
    pub words: String,
    pub token: String,
}

pub fn challenge(signer: &Signer, lang: Lang, now: DateTime<Utc>) -> Challenge {
    let n: u32 = rand::rng().random_range(101..1000);
    let salt = random_code(8);
    Challenge {
        words: number_words(n, lang),
        token: signer.token(
            "challenge",
            // The answer is bound by the server's key: the token does not let
            // anyone try the 899 possible answers offline.
            &format!(
                "{salt}-{}",
                signer.digest("challenge-answer", &format!("{salt}{n}"))
            ),
            now.timestamp() + 1800,
        ),
    }
}

pub(super) fn challenge_ok(signer: &Signer, token: &str, answer: &str, now: DateTime<Utc>) -> bool {
    let Some(payload) = signer.verify("challenge", token, now.timestamp()) else {
        return false;
    };
    let Some((salt, hash)) = payload.split_once('-') else {
        return false;
    };
    let digits: String = answer.chars().filter(char::is_ascii_digit).collect();
    crate::domain::token::tokens_match(
        hash,
        &signer.digest("challenge-answer", &format!("{salt}{digits}")),
    )
}

/// 101–999 in words.
pub fn number_words(n: u32, lang: Lang) -> String {
    const VI: [&str; 10] = [
        "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
    ];
    const EN: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const EN_TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let (h, t, u) = (
        (n / 100) as usize,
        ((n / 10) % 10) as usize,
        (n % 10) as usize,
    );
    match lang {
        Lang::Vi => {
            let mut s = format!("{} trăm", VI[h]);
            match (t, u) {
                (0, 0) => {}
                (0, u) => s.push_str(&format!(" linh {}", VI[u])),
                (1, 0) => s.push_str(" mười"),
                (1, 5) => s.push_str(" mười lăm"),
                (1, u) => s.push_str(&format!(" mười {}", VI[u])),
                (t, 0) => s.push_str(&format!(" {} mươi", VI[t])),
                (t, 1) => s.push_str(&format!(" {} mươi mốt", VI[t])),
                (t, 5) => s.push_str(&format!(" {} mươi lăm", VI[t])),
                (t, u) => s.push_str(&format!(" {} mươi {}", VI[t], VI[u])),
            }
            s
        }
        Lang::En => {
            let mut s = format!("{} hundred", EN[h]);
            let rest = t * 10 + u;
            if rest > 0 {
                s.push_str(" and ");
                if rest < 20 {
                    s.push_str(EN[rest]);
                } else {
                    s.push_str(EN_TENS[t]);
                    if u > 0 {
                        s.push('-');
                        s.push_str(EN[u]);
                    }
                }
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_words() {
        assert_eq!(number_words(723, Lang::Vi), "bảy trăm hai mươi ba");
        assert_eq!(number_words(105, Lang::Vi), "một trăm linh năm");
        assert_eq!(number_words(215, Lang::Vi), "hai trăm mười lăm");
        assert_eq!(number_words(841, Lang::Vi), "tám trăm bốn mươi mốt");
        assert_eq!(
            number_words(723, Lang::En),
            "seven hundred and twenty-three"
        );
        assert_eq!(number_words(300, Lang::En), "three hundred");
        assert_eq!(number_words(911, Lang::En), "nine hundred and eleven");
    }
}
