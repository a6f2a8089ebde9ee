//! Suggests identifiers found in free text (narratives, notes, submissions).
//!
//! Suggestions only: an officer confirms them. So the rules lean to precision —
//! a digit string becomes a bank account only when a bank is named next to it
//! (never guessed), amounts and dates are skipped, and every suggested value
//! is exactly what the matching normaliser makes of the text as written.
//! All scanning is done with `regex` (linear time) plus bounded look-arounds.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use regex::Regex;

use super::normalise::{self as norm, IdKind};

/// A bank as the text may name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bank {
    pub code: String,
    /// Short name, BIN, aliases, full Vietnamese name, code.
    pub names: Vec<String>,
}

/// An identifier found in text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub kind: IdKind,
    /// Normalised value.
    pub value: String,
    /// The text as written.
    pub found: String,
}

const MAX_CHARS: usize = 100_000;
const MAX_SUGGESTIONS: usize = 100;
/// How far (in chars) a bank name may be from its account number.
const BANK_WINDOW: usize = 60;

/// Chars a URL may run over (RFC 3986 minus the usual delimiters in prose).
const URL_TAIL: &str = r#"[^\s<>"'`{}|\\^\[\]]"#;

fn re(pattern: &str) -> Regex {
    // The patterns are constants, tested below.
    Regex::new(pattern).expect("valid regex")
}

static URL_RE: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"(?i)\b(?:https?://|www\.){URL_TAIL}+")));
static EMAIL_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+\-]+@[\p{L}\p{M}\p{N}\-]+(?:\.[\p{L}\p{M}\p{N}\-]+)+"));
static DOMAIN_RE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"[\p{{L}}\p{{M}}\p{{N}}\-]+(?:\.[\p{{L}}\p{{M}}\p{{N}}\-]+)+(?:/{URL_TAIL}*)?"
    ))
});
static IPV4_RE: LazyLock<Regex> = LazyLock::new(|| re(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"));
static IPV6_RE: LazyLock<Regex> = LazyLock::new(|| re(r"[0-9A-Fa-f.]*:[0-9A-Fa-f:.]+"));
static TOKEN_RE: LazyLock<Regex> = LazyLock::new(|| re(r"[0-9A-Za-z]{14,}"));
/// Digit groups joined by single separators, optionally led by `+` or `(+84)`.
static NUMBER_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:\(\+?[0-9]{1,3}\) ?|\+)?[0-9]+(?:[ .\-][0-9]+)*"));
/// Words that say "this number is an account" (needed when it is also a phone).
static ACCOUNT_CUE_RE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:stk|tk|t[àa]i\s+kho[ảa]n|account|acc|a/c)\b"));

/// TLDs common in Vietnamese cases; a whitelist keeps `anh.jpg`, `TP.HCM` and
/// sentences missing a space out.
const TLDS: &[&str] = &[
    "vn", "com", "net", "org", "info", "xyz", "top", "io", "me", "cc", "co", "app", "site",
    "online", "shop", "club", "vip", "biz", "asia", "cn", "ru", "edu", "gov", "store", "live",
    "link", "pro", "tv", "us", "uk", "tk", "fun", "icu", "bet", "win", "cloud", "tech", "website",
    "ws", "sg", "kh", "hk",
];

/// Candidate kinds by precedence when matches overlap (lower wins).
const P_URL: u8 = 0;
const P_EMAIL: u8 = 1;
const P_TOKEN: u8 = 2;
const P_IP: u8 = 3;
const P_DOMAIN: u8 = 4;
const P_NUMBER: u8 = 5;

struct Cand {
    start: usize,
    end: usize,
    prio: u8,
    kind: IdKind,
    value: String,
}

/// Identifiers in `text` (first 100 000 chars), in text order, deduplicated by
/// kind and value, at most 100.
pub fn extract(text: &str, banks: &[Bank]) -> Vec<Suggestion> {
    let text = match text.char_indices().nth(MAX_CHARS) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    let mut cands = Vec::new();
    urls(text, &mut cands);
    emails(text, &mut cands);
    tokens(text, &mut cands);
    ips(text, &mut cands);
    domains(text, &mut cands);
    numbers(text, banks, &mut cands);

    // Values the table cannot hold are not suggested (as `normalise` refuses them).
    cands.retain(|c| c.value.chars().count() <= 500);
    // Keep the best of overlapping matches: an e-mail's domain or the digits
    // of a URL are not suggested again.
    cands.sort_by_key(|c| (c.prio, c.start));
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut kept = Vec::new();
    for c in cands {
        let clash = taken
            .range(..c.end)
            .next_back()
            .is_some_and(|(_, &end)| end > c.start);
        if !clash {
            taken.insert(c.start, c.end);
            kept.push(c);
        }
    }
    kept.sort_by_key(|c| c.start);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for c in kept {
        if out.len() == MAX_SUGGESTIONS {
            break;
        }
        if seen.insert((c.kind, c.value.clone())) {
            out.push(Suggestion {
                kind: c.kind,
                value: c.value,
                found: text[c.start..c.end].to_owned(),
            });
        }
    }
    out
}

fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

fn char_after(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

/// True when the match is glued to a letter or digit on either side.
fn glued(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    char_before(text, start).is_some_and(word) || char_after(text, end).is_some_and(word)
}

/// End of `s` without trailing punctuation that belongs to the sentence, and
/// without a `)` that closes a parenthesis opened before the URL.
fn trim_url_end(s: &str) -> usize {
    let opens = s.matches('(').count();
    let mut closes = s.matches(')').count();
    let mut end = s.len();
    while let Some(c) = s[..end].chars().next_back() {
        if ".,;:!?'\"”’»…".contains(c) || (c == ')' && opens < closes) {
            closes -= usize::from(c == ')');
            end -= c.len_utf8();
        } else {
            break;
        }
    }
    end
}

/// A URL candidate: a social profile when it is one, else a URL.
fn url_cand(start: usize, found: &str, cands: &mut Vec<Cand>) {
    let (kind, value) = match norm::social(found) {
        Some(v) if !v.starts_with("handle:") => (IdKind::Social, v),
        _ => match norm::url(found) {
            Some(v) => (IdKind::Url, v),
            None => return,
        },
    };
    cands.push(Cand {
        start,
        end: start + found.len(),
        prio: P_URL,
        kind,
        value,
    });
}

fn urls(text: &str, cands: &mut Vec<Cand>) {
    for m in URL_RE.find_iter(text) {
        let found = &m.as_str()[..trim_url_end(m.as_str())];
        url_cand(m.start(), found, cands);
    }
}

fn emails(text: &str, cands: &mut Vec<Cand>) {
    for m in EMAIL_RE.find_iter(text) {
        if char_before(text, m.start()).is_some_and(|c| c.is_alphanumeric() || c == '.') {
            continue;
        }
        if let Some(value) = norm::email(m.as_str()) {
            cands.push(Cand {
                start: m.start(),
                end: m.end(),
                prio: P_EMAIL,
                kind: IdKind::Email,
                value,
            });
        }
    }
}

/// Long alphanumeric tokens: crypto wallets (checksummed) and file hashes.
fn tokens(text: &str, cands: &mut Vec<Cand>) {
    for m in TOKEN_RE.find_iter(text) {
        if glued(text, m.start(), m.end()) {
            continue;
        }
        let t = m.as_str();
        let hex = t.bytes().all(|b| b.is_ascii_hexdigit());
        // All-digit or all-letter strings of hash length are numbers or words.
        let hash_like = hex
            && matches!(t.len(), 32 | 40 | 64)
            && t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes().any(|b| b.is_ascii_alphabetic());
        let (kind, value) = if let Some(v) = norm::crypto_wallet(t) {
            (IdKind::CryptoWallet, v)
        } else if let Some(v) = hash_like.then(|| norm::file_hash(t)).flatten() {
            (IdKind::FileHash, v)
        } else {
            continue;
        };
        cands.push(Cand {
            start: m.start(),
            end: m.end(),
            prio: P_TOKEN,
            kind,
            value,
        });
    }
}

fn ips(text: &str, cands: &mut Vec<Cand>) {
    for m in IPV4_RE.find_iter(text) {
        let before = char_before(text, m.start());
        let rest = &text[m.end()..];
        let version_like =
            rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit());
        if glued(text, m.start(), m.end()) || before == Some('.') || version_like {
            continue;
        }
        if let Some(value) = norm::ip(m.as_str()) {
            cands.push(Cand {
                start: m.start(),
                end: m.end(),
                prio: P_IP,
                kind: IdKind::Ip,
                value,
            });
        }
    }
    for m in IPV6_RE.find_iter(text) {
        let mut start = m.start();
        let mut s = m.as_str().trim_end_matches('.');
        if s.starts_with(':') && !s.starts_with("::") {
            s = &s[1..];
            start += 1;
        }
        let end = start + s.len();
        let ok = s.matches(':').count() >= 2
            && s.bytes().any(|b| b.is_ascii_hexdigit())
            && !glued(text, start, end);
        if let Some(value) = ok.then(|| norm::ip(s)).flatten() {
            if value.contains(':') {
                cands.push(Cand {
                    start,
                    end,
                    prio: P_IP,
                    kind: IdKind::Ip,
                    value,
                });
            }
        }
    }
}

/// The TLD is whitelisted and written all lower or all upper (`app.Info` at a
/// missing sentence space is not a domain).
fn tld_ok(host: &str) -> bool {
    let tld = host.rsplit('.').next().unwrap_or("");
    let lower = tld.to_ascii_lowercase();
    let one_case = tld == lower || tld == tld.to_ascii_uppercase();
    one_case && TLDS.contains(&lower.as_str())
}

/// Bare domains (`shop-gia.vn`) and bare URLs with a path (`shop.vn/sp`).
fn domains(text: &str, cands: &mut Vec<Cand>) {
    for m in DOMAIN_RE.find_iter(text) {
        let s = m.as_str();
        if char_before(text, m.start()).is_some_and(|c| c == '@' || c == '.' || c == '/') {
            continue;
        }
        if let Some(slash) = s.find('/') {
            if tld_ok(&s[..slash]) {
                url_cand(m.start(), &s[..trim_url_end(s)], cands);
            }
            continue;
        }
        if char_after(text, m.end()).is_some_and(|c| c == '@' || c == '_') {
            continue;
        }
        // "shop-gia.vn.Sau đó" (missing space): drop labels until a TLD fits.
        let mut host = s;
        while !tld_ok(host) {
            match host.rfind('.') {
                Some(i) => host = &host[..i],
                None => break,
            }
        }
        if !host.contains('.') || !tld_ok(host) {
            continue;
        }
        if let Some(value) = norm::domain(host) {
            cands.push(Cand {
                start: m.start(),
                end: m.start() + host.len(),
                prio: P_DOMAIN,
                kind: IdKind::Domain,
                value,
            });
        }
    }
}

/// A bank name found in the text.
struct Mention {
    start: usize,
    end: usize,
    bank: usize,
}

/// Compiled bank-name matcher, cached while the bank list stays the same
/// (building it per call would dominate the cost of `extract`).
struct BankMatcher {
    banks: Vec<Bank>,
    re: Option<Regex>,
    /// Lower-cased name → index into the bank list.
    names: HashMap<String, usize>,
}

static BANK_MATCHER: LazyLock<Mutex<Option<Arc<BankMatcher>>>> = LazyLock::new(|| Mutex::new(None));

fn bank_matcher(banks: &[Bank]) -> Arc<BankMatcher> {
    let mut cache = BANK_MATCHER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = cache.as_ref().filter(|m| m.banks == banks) {
        return Arc::clone(m);
    }
    let mut names: Vec<(String, usize)> = banks
        .iter()
        .enumerate()
        .flat_map(|(i, b)| {
            b.names
                .iter()
                .chain([&b.code])
                .map(move |n| (n.trim().to_lowercase(), i))
        })
        .filter(|(n, _)| !n.is_empty() && n.chars().count() <= 100)
        .collect();
    // Longest first so "MB Bank" wins over "MB" at the same place.
    names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
    names.dedup_by(|a, b| a.0 == b.0);
    let re = (!names.is_empty())
        .then(|| {
            let alts: Vec<String> = names.iter().map(|(n, _)| regex::escape(n)).collect();
            regex::RegexBuilder::new(&format!("(?i){}", alts.join("|")))
                .size_limit(1 << 24)
                .build()
                .ok()
        })
        .flatten();
    let m = Arc::new(BankMatcher {
        banks: banks.to_vec(),
        re,
        names: names.into_iter().collect(),
    });
    *cache = Some(Arc::clone(&m));
    m
}

fn mentions(text: &str, matcher: &BankMatcher) -> Vec<Mention> {
    let Some(re) = &matcher.re else {
        return Vec::new();
    };
    re.find_iter(text)
        .filter(|m| !glued(text, m.start(), m.end()))
        .filter_map(|m| {
            let lower = m.as_str().to_lowercase();
            let bank = *matcher.names.get(&lower)?;
            Some(Mention {
                start: m.start(),
                end: m.end(),
                bank,
            })
        })
        .collect()
}

/// Chars between two non-overlapping ranges if they are in one sentence and
/// within the bank window.
fn gap(text: &str, a: (usize, usize), b: (usize, usize)) -> Option<usize> {
    let (from, to) = if a.1 <= b.0 {
        (a.1, b.0)
    } else if b.1 <= a.0 {
        (b.1, a.0)
    } else {
        return None;
    };
    let between = &text[from..to];
    if between.len() > BANK_WINDOW * 4 {
        return None;
    }
    let mut n = 0;
    let mut prev = ' ';
    for c in between.chars() {
        n += 1;
        let sentence_end = matches!(prev, '.' | '!' | '?' | ';') && c.is_whitespace();
        if n > BANK_WINDOW || c == '\n' || c == '\r' || sentence_end {
            return None;
        }
        prev = c;
    }
    Some(n)
}

/// The nearest bank mention on each side of `span` (mentions are sorted and
/// do not overlap, so only these two can be the closest).
fn nearest_mentions(ms: &[Mention], span: (usize, usize)) -> [Option<&Mention>; 2] {
    let after = ms.partition_point(|m| m.start < span.1);
    let before = ms.partition_point(|m| m.end <= span.0);
    [before.checked_sub(1).and_then(|i| ms.get(i)), ms.get(after)]
}

struct Group {
    start: usize,
    end: usize,
    digits: usize,
}

/// A digit span chosen in a number run.
struct NumCand {
    start: usize,
    end: usize,
    phone: Option<String>,
    account_shaped: bool,
}

/// `15.000.000`: an amount, not an account.
fn amount_like(s: &str) -> bool {
    let mut parts = s.split('.');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest
            .iter()
            .all(|p| p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `12-11-2026`, `2026.11.12`.
fn date_like(groups: &[Group]) -> bool {
    let lens: Vec<usize> = groups.iter().map(|g| g.digits).collect();
    matches!(lens.as_slice(), [1 | 2, 1 | 2, 4] | [4, 1 | 2, 1 | 2])
}

/// The number is followed by a currency or unit word.
fn currency_after(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start_matches([' ', '\u{a0}']);
    if rest.starts_with(['$', '%', '€']) {
        return true;
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphabetic())
        .take(8)
        .collect::<String>()
        .to_lowercase();
    [
        "đ", "đồng", "dong", "vnd", "vnđ", "usd", "usdt", "triệu", "trieu", "tr", "nghìn", "nghin",
        "ngàn", "ngan", "tỷ", "tỉ", "ty", "k", "xu",
    ]
    .contains(&word.as_str())
}

/// Cheap shape test before asking `phone` (which is comparatively slow):
/// Vietnamese numbers start with 0, 84 or +84; foreign ones need a `+`.
fn phone_shaped(found: &str, digits: &str) -> bool {
    let plus = found.starts_with('+') || found.starts_with("(+") || found.starts_with('(');
    if plus {
        (8..=15).contains(&digits.len())
    } else if digits.starts_with("84") {
        (11..=12).contains(&digits.len())
    } else {
        digits.starts_with('0') && !digits.starts_with("00") && (10..=11).contains(&digits.len())
    }
}

/// Phones and bank accounts. A number is an account only when a bank is named
/// close by in the same sentence and that name is closest to this number; a
/// number that also reads as a phone needs an account word (STK, tài khoản…)
/// too, since scammers' numbers and accounts often sit near a bank name.
fn numbers(text: &str, banks: &[Bank], cands: &mut Vec<Cand>) {
    let matcher = bank_matcher(banks);
    let ms = mentions(text, &matcher);
    let near_bank = |span: (usize, usize)| {
        nearest_mentions(&ms, span)
            .iter()
            .flatten()
            .any(|m| gap(text, span, (m.start, m.end)).is_some())
    };
    let mut nums: Vec<NumCand> = Vec::new();
    for m in NUMBER_RE.find_iter(text) {
        let run = m.as_str();
        // Skip the tail of "1.0912…", "12/0912…" and "$100000".
        let before = &text[..m.start()];
        let mut back = before.chars().rev();
        let tail_of_number = match (back.next(), back.next()) {
            (Some('$'), _) => true,
            (Some('.' | '/'), Some(c)) => c.is_ascii_digit(),
            _ => false,
        };
        if glued(text, m.start(), m.end()) || tail_of_number {
            continue;
        }
        let mut groups = Vec::new();
        let bytes = run.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() {
                let s = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                groups.push(Group {
                    start: m.start() + s,
                    end: m.start() + i,
                    digits: i - s,
                });
                // "(+84)" is a prefix of the next group, not a group.
                if s > 0
                    && bytes[s - 1] != b' '
                    && bytes[s - 1] != b'.'
                    && bytes[s - 1] != b'-'
                    && bytes.get(i) == Some(&b')')
                {
                    groups.pop();
                }
            } else {
                i += 1;
            }
        }
        if let Some(g) = groups.first_mut() {
            g.start = m.start();
        }
        let run_is_amount = amount_like(run) || currency_after(text, m.end());
        if groups.is_empty() || run_is_amount || date_like(&groups) {
            continue;
        }
        let mut gi = 0;
        while gi < groups.len() {
            let mut total = 0;
            let mut last = None;
            for (j, g) in groups.iter().enumerate().skip(gi) {
                total += g.digits;
                if total > 19 {
                    break;
                }
                last = Some(j);
            }
            let chosen = last.and_then(|last| {
                (gi..=last).rev().find_map(|j| {
                    let (start, end) = (groups[gi].start, groups[j].end);
                    let found = &text[start..end];
                    let digits: String = found.chars().filter(char::is_ascii_digit).collect();
                    let phone = phone_shaped(found, &digits)
                        .then(|| norm::phone(found))
                        .flatten();
                    let account_shaped = (6..=19).contains(&digits.len())
                        && found.starts_with(|c: char| c.is_ascii_digit())
                        && !amount_like(found)
                        && near_bank((start, end));
                    (phone.is_some() || account_shaped).then_some((
                        j,
                        NumCand {
                            start,
                            end,
                            phone,
                            account_shaped,
                        },
                    ))
                })
            });
            match chosen {
                Some((j, c)) => {
                    nums.push(c);
                    gi = j + 1;
                }
                None => gi += 1,
            }
        }
    }

    // Each bank mention claims the closest account-shaped number near it.
    let accounts: Vec<&NumCand> = nums.iter().filter(|n| n.account_shaped).collect();
    let mut claims: BTreeMap<usize, (usize, usize)> = BTreeMap::new(); // start → (gap, bank)
    for m in &ms {
        let after = accounts.partition_point(|n| n.start < m.end);
        let before = accounts.partition_point(|n| n.end <= m.start);
        let nearest = [
            before.checked_sub(1).and_then(|i| accounts.get(i)),
            accounts.get(after),
        ];
        let best = nearest
            .into_iter()
            .flatten()
            .filter_map(|n| Some((gap(text, (n.start, n.end), (m.start, m.end))?, n)))
            .filter(|(_, n)| n.phone.is_none() || has_account_cue(text, n, m))
            .min_by_key(|(g, _)| *g);
        if let Some((g, n)) = best {
            let e = claims.entry(n.start).or_insert((g, m.bank));
            if g < e.0 {
                *e = (g, m.bank);
            }
        }
    }
    for n in nums {
        let found = &text[n.start..n.end];
        let (kind, value) = match claims.get(&n.start) {
            Some(&(_, bank)) => match norm::bank_account(&banks[bank].code, found) {
                Some(v) => (IdKind::BankAccount, v),
                None => continue,
            },
            None => match n.phone {
                Some(p) => (IdKind::Phone, p),
                None => continue,
            },
        };
        cands.push(Cand {
            start: n.start,
            end: n.end,
            prio: P_NUMBER,
            kind,
            value,
        });
    }
}

/// An account word between the number and the bank name, or just before
/// whichever comes first.
fn has_account_cue(text: &str, n: &NumCand, m: &Mention) -> bool {
    let first = n.start.min(m.start);
    let last_end = n.end.max(m.end);
    let mut from = first;
    for (k, (i, c)) in text[..first].char_indices().rev().enumerate() {
        if k >= 30 || c == '\n' {
            break;
        }
        from = i;
    }
    ACCOUNT_CUE_RE.is_match(&text[from..last_end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn banks() -> Vec<Bank> {
        let bank = |code: &str, names: &[&str]| Bank {
            code: code.to_owned(),
            names: names.iter().map(|n| n.to_string()).collect(),
        };
        vec![
            bank(
                "VCB",
                &[
                    "Vietcombank",
                    "970436",
                    "VCB",
                    "Ngân hàng TMCP Ngoại thương Việt Nam",
                ],
            ),
            bank(
                "MB",
                &[
                    "MB",
                    "970422",
                    "MB Bank",
                    "MBBank",
                    "Ngân hàng TMCP Quân đội",
                ],
            ),
            bank(
                "TCB",
                &[
                    "Techcombank",
                    "970407",
                    "TCB",
                    "Ngân hàng TMCP Kỹ thương Việt Nam",
                ],
            ),
        ]
    }

    fn got(text: &str) -> Vec<(IdKind, String, String)> {
        extract(text, &banks())
            .into_iter()
            .map(|s| (s.kind, s.value, s.found))
            .collect()
    }

    fn want(items: &[(IdKind, &str, &str)]) -> Vec<(IdKind, String, String)> {
        items
            .iter()
            .map(|(k, v, f)| (*k, v.to_string(), f.to_string()))
            .collect()
    }

    use IdKind::*;

    const SCAM_CALL: &str = "Ngày 12/11/2026, bà Nguyễn Thị Lan (CCCD 001089012345) nhận cuộc gọi từ số \
        0912 345 678 tự xưng là cán bộ Công an quận Hoàn Kiếm, thông báo bà liên quan đến đường dây \
        rửa tiền. Đối tượng yêu cầu bà kết bạn Zalo zalo.me/0987654321 và cài ứng dụng từ trang \
        http://bocongan-gov.vn.app-dichvucong.xyz/tai-app?id=7 (giả mạo dichvucong.gov.vn). Sau đó bà \
        chuyển 15.000.000 đồng vào STK 0011004455667 Vietcombank mang tên NGUYEN VAN B. Đối tượng còn \
        gọi từ số +84 24 3826 9999 và (+84) 912.345.679.\nGửi file anh.jpg và report.pdf qua email \
        canbo.ca@bocongan-gov.vn.";

    #[test]
    fn scam_call_pretending_to_be_police() {
        assert_eq!(
            got(SCAM_CALL),
            want(&[
                (Phone, "+84912345678", "0912 345 678"),
                (Social, "zalo:+84987654321", "zalo.me/0987654321"),
                (
                    Url,
                    "http://bocongan-gov.vn.app-dichvucong.xyz/tai-app?id=7",
                    "http://bocongan-gov.vn.app-dichvucong.xyz/tai-app?id=7",
                ),
                (Domain, "dichvucong.gov.vn", "dichvucong.gov.vn"),
                (BankAccount, "VCB:0011004455667", "0011004455667"),
                (Phone, "+842438269999", "+84 24 3826 9999"),
                (Phone, "+84912345679", "(+84) 912.345.679"),
                (
                    Email,
                    "canbo.ca@bocongan-gov.vn",
                    "canbo.ca@bocongan-gov.vn"
                ),
            ])
        );
    }

    const FAKE_SHOP: &str = "Chị Trần Thị Mai (SN 1995, CCCD 079195001234) xem quảng cáo bán iPhone 17 giá rẻ \
        trên trang Facebook https://www.facebook.com/shop.gia.re.hcm và fanpage \
        fb.com/profile.php?id=100089123456. Đối tượng dùng Zalo 0987.654.321 nhắn tin, yêu cầu đặt cọc \
        2.500.000đ rồi chuyển tiếp 12.000.000 VND vào tài khoản MB 0123456789 chủ TK LE VAN C. \
        Ngày 03-10-2026 chị chuyển thêm vào TK VCB: 0011 0044 55668. Trang web bán hàng: shop-gia.vn, \
        hình ảnh sản phẩm gửi kèm anh.jpg và hoadon.pdf. Mã đơn hàng 987654321012.";

    #[test]
    fn fake_shop_on_facebook_with_bank_accounts() {
        assert_eq!(
            got(FAKE_SHOP),
            want(&[
                (
                    Social,
                    "facebook:shop.gia.re.hcm",
                    "https://www.facebook.com/shop.gia.re.hcm",
                ),
                (
                    Social,
                    "facebook:100089123456",
                    "fb.com/profile.php?id=100089123456",
                ),
                (Phone, "+84987654321", "0987.654.321"),
                (BankAccount, "MB:0123456789", "0123456789"),
                (BankAccount, "VCB:0011004455668", "0011 0044 55668"),
                (Domain, "shop-gia.vn", "shop-gia.vn"),
            ])
        );
    }

    const INVESTMENT_APP: &str = "Từ tháng 8/2026, anh Phạm Văn D tham gia nhóm Telegram t.me/DauTuUSDT_VIP do \
        một người tên \"Linda\" giới thiệu, được hướng dẫn tải ứng dụng đầu tư tại \
        https://app.binance-vn.top/register?ref=88 và nạp USDT vào ví TRON \
        TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t. Sau đó anh nạp thêm 0.5 BTC vào địa chỉ \
        bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq và ETH vào 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed. \
        Tổng thiệt hại khoảng 1,2 tỷ đồng (tương đương 48.000 USDT). Website hỗ trợ: www.binance-vn.top; \
        email: support@binance-vn.top; hotline +1 202 555 0143. Ví gõ sai \
        0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed và 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb bị bỏ qua.";

    #[test]
    fn investment_app_with_wallets_and_website() {
        assert_eq!(
            got(INVESTMENT_APP),
            want(&[
                (Social, "telegram:dautuusdt_vip", "t.me/DauTuUSDT_VIP"),
                (
                    Url,
                    "https://app.binance-vn.top/register?ref=88",
                    "https://app.binance-vn.top/register?ref=88",
                ),
                (
                    CryptoWallet,
                    "TRON:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                ),
                (
                    CryptoWallet,
                    "BTC:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                ),
                (
                    CryptoWallet,
                    "ETH:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
                    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                ),
                (Url, "http://www.binance-vn.top/", "www.binance-vn.top"),
                (Email, "support@binance-vn.top", "support@binance-vn.top"),
                (Phone, "+12025550143", "+1 202 555 0143"),
            ])
        );
    }

    const INCIDENT: &str = "Báo cáo sự cố: lúc 02:15 ngày 12/11/2026, máy chủ web của Sở X (IP 203.113.131.5) \
        ghi nhận kết nối đến C2 tại 185.220.101.47 và 2001:DB8:0:0:0:0:0:1 qua tên miền \
        update-microsoft.xyz và cdn.abc.com.vn. Tệp mã độc svchost.exe có MD5 \
        44d88612fea8a8f36de82e1278abb02f, SHA-1 3395856CE81F2B7382DEE72602F798B642F14140, SHA256: \
        275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f. Phiên bản phần mềm \
        10.2.3.4.5 và log report.pdf không liên quan. Quản trị viên: 028 3829 1234, admin@so-x.gov.vn.";

    #[test]
    fn infosec_incident_with_ips_domains_hashes() {
        assert_eq!(
            got(INCIDENT),
            want(&[
                (Ip, "203.113.131.5", "203.113.131.5"),
                (Ip, "185.220.101.47", "185.220.101.47"),
                (Ip, "2001:db8::1", "2001:DB8:0:0:0:0:0:1"),
                (Domain, "update-microsoft.xyz", "update-microsoft.xyz"),
                (Domain, "cdn.abc.com.vn", "cdn.abc.com.vn"),
                (
                    FileHash,
                    "md5:44d88612fea8a8f36de82e1278abb02f",
                    "44d88612fea8a8f36de82e1278abb02f",
                ),
                (
                    FileHash,
                    "sha1:3395856ce81f2b7382dee72602f798b642f14140",
                    "3395856CE81F2B7382DEE72602F798B642F14140",
                ),
                (
                    FileHash,
                    "sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
                    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
                ),
                (Phone, "+842838291234", "028 3829 1234"),
                (Email, "admin@so-x.gov.vn", "admin@so-x.gov.vn"),
            ])
        );
    }

    #[test]
    fn numbers_are_never_guessed() {
        // A phone near a bank name without an account word stays a phone.
        assert_eq!(
            got("Đối tượng gọi từ số 0912345678 và yêu cầu chuyển tiền qua Vietcombank."),
            want(&[(Phone, "+84912345678", "0912345678")])
        );
        // The same number with an account word is an account (MB allows it).
        assert_eq!(
            got("Chuyển vào STK 0912345678 MB Bank."),
            want(&[(BankAccount, "MB:0912345678", "0912345678")])
        );
        // Long digit strings with no bank named: nothing.
        assert_eq!(
            got("Số hợp đồng 00123456789012, CCCD 079195001234."),
            want(&[])
        );
        // A bank in another sentence is not "nearby".
        assert_eq!(
            got("Mã giao dịch 4455667788. Sau đó bà ra Vietcombank."),
            want(&[])
        );
        // Further than the window.
        let far = format!("Vietcombank {} 0011004455667", "x ".repeat(40));
        assert_eq!(got(&far), want(&[]));
        // Each bank name takes its closest number.
        assert_eq!(
            got("TK Techcombank 19036677889900, mã hồ sơ 5566778899"),
            want(&[(BankAccount, "TCB:19036677889900", "19036677889900")])
        );
        // BIN and the full Vietnamese name, any case.
        assert_eq!(
            got("chuyển vào 970436 - 0011004455667; ngân hàng tmcp quân đội 0123 4567 89"),
            want(&[
                (BankAccount, "VCB:0011004455667", "0011004455667"),
                (BankAccount, "MB:0123456789", "0123 4567 89"),
            ])
        );
        // Amounts, dates, times.
        assert_eq!(
            got(
                "Chuyển 15.000.000 đồng, 2.500.000đ, 500000 VND, 1,500,000 qua MB ngày 12/11/2026 lúc 10:30, 12-11-2026."
            ),
            want(&[])
        );
    }

    #[test]
    fn other_shapes() {
        assert_eq!(
            got(
                "Link: (https://shop.vn/a_(b)), www.SHOP.vn. Web Bộcôngan.vn và anh.jpg, TP.HCM, app.Info"
            ),
            want(&[
                (Url, "https://shop.vn/a_(b)", "https://shop.vn/a_(b)"),
                (Url, "http://www.shop.vn/", "www.SHOP.vn"),
                (Domain, "xn--bcngan-jxa6332d.vn", "Bộcôngan.vn"),
            ])
        );
        // Repeats are suggested once; an e-mail's domain is not a domain.
        assert_eq!(
            got("a@shop.vn, A@SHOP.VN, a@shop.vn và 0912345678 / 0912 345 678"),
            want(&[
                (Email, "a@shop.vn", "a@shop.vn"),
                (Email, "A@shop.vn", "A@SHOP.VN"),
                (Phone, "+84912345678", "0912345678"),
            ])
        );
        assert_eq!(
            got("tiktok.com/@LuaDao, https://facebook.com/groups/abc, m.facebook.com/nguyen.van.a"),
            want(&[
                (Social, "tiktok:luadao", "tiktok.com/@LuaDao"),
                (
                    Url,
                    "https://facebook.com/groups/abc",
                    "https://facebook.com/groups/abc"
                ),
                (
                    Social,
                    "facebook:nguyen.van.a",
                    "m.facebook.com/nguyen.van.a"
                ),
            ])
        );
    }

    #[test]
    fn caps() {
        let many: String = (0..300)
            .map(|i| format!("10.0.{}.{} ", i / 200, i % 200))
            .collect();
        let s = extract(&many, &[]);
        assert_eq!(s.len(), 100);
        assert_eq!(s[0].value, "10.0.0.0");
        let long = format!("{} 0912345678", "a".repeat(MAX_CHARS));
        assert!(extract(&long, &[]).is_empty());
        assert!(extract("", &[]).is_empty());
    }

    /// Every suggestion is what its normaliser makes of the text as written.
    fn check_suggestions(text: &str, banks: &[Bank]) {
        let s = extract(text, banks);
        assert!(s.len() <= MAX_SUGGESTIONS);
        let mut seen = HashSet::new();
        for x in &s {
            let again = match x.kind {
                BankAccount => {
                    let (code, _) = x.value.rsplit_once(':').expect("code");
                    norm::bank_account(code, &x.found)
                }
                k => norm::normalise(k, &x.found, ""),
            };
            assert_eq!(
                again.as_deref(),
                Some(x.value.as_str()),
                "{x:?} in {text:?}"
            );
            assert!(text.contains(&x.found), "{x:?}");
            assert!(seen.insert((x.kind, x.value.clone())), "duplicate {x:?}");
        }
    }

    /// Proptest cases: small by default, `PROPTEST_CASES` for longer runs.
    fn cases(default: u32) -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    const NARRATIVES: &[&str] = &[SCAM_CALL, FAKE_SHOP, INVESTMENT_APP, INCIDENT];

    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<String>(),
            "[0-9 .+()-]{1,25}",
            "[0-9a-fA-F]{30,66}",
            "(https?://|www\\.)?[a-zA-Zộ0-9.-]{1,12}\\.(vn|com|xyz|jpg)(/[a-zA-Z0-9@?=_.()-]{0,12})?",
            "[a-z.]{1,8}@[a-z.-]{1,10}",
            "(STK|TK|tài khoản|Vietcombank|MB|970436|VCB:|\\.|\n| |đồng)",
            "[ăâđêôơưáàảãạếềểễệ ]{1,10}",
            "[0-9a-fA-F:.\\[\\]]{2,30}",
            (0..NARRATIVES.len()).prop_map(|i| NARRATIVES[i].to_owned()),
        ];
        prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(128)))]

        #[test]
        fn extract_is_total_and_consistent(t in text()) {
            check_suggestions(&t, &banks());
        }
    }

    /// Small deterministic generator (no extra crates).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }
    }

    const FRAGMENTS: &[&str] = &[
        "0912 345 678",
        "+84",
        "(+84) ",
        "84",
        "0",
        "00",
        "STK ",
        "TK VCB: ",
        "Vietcombank",
        "MB",
        "970436",
        "http://",
        "https://",
        "www.",
        "://",
        "/",
        "?",
        "#",
        "@",
        ":",
        ".",
        "..",
        "-",
        "[",
        "]",
        "%",
        "%2e",
        "xn--",
        "XN--",
        "Bộcôngan.vn",
        ".vn",
        ".com.vn",
        ".xyz",
        "zalo.me/",
        "t.me/",
        "facebook.com/profile.php?id=",
        "tiktok.com/@",
        "fb:",
        "telegram:",
        "zalo ",
        "handle:",
        "BTC:",
        "ETH:",
        "TRON:",
        "0x",
        "bc1q",
        "bc1p",
        "T",
        "1",
        "3",
        "md5:",
        "sha256:",
        "::",
        "::ffff:",
        "255.255.255.255",
        "010.",
        "15.000.000 đồng",
        "12/11/2026",
        "anh.jpg",
        "\n",
        " ",
        "\u{a0}",
        "\u{3002}",
        "\u{200b}",
        "ß",
        "İ",
        "ộ",
        "Ệ",
        "đ",
        "\u{301}",
        "é",
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "d41d8cd98f00b204e9800998ecf8427e",
        "a@b.vn",
        "mailto:",
        "people/",
        "s/",
        "+",
        "\\",
        "/./",
        "/../",
        "%00",
        "%2F",
        "%40",
        "%e1%bb%99",
        "@@",
        "user:pass@",
        ":443",
        ":80",
        ":0",
        ":65536",
        "[::1]",
        "xn--bcngan-jxa6332d",
        "xn--zz",
        "．",
        "＠",
        "ｓｈｏｐ",
        "ﬁ",
        "ς",
        "\u{fe0f}",
        "\u{200d}",
        "ǅ",
        "\u{212a}",
        "ſ",
        "\t",
        "\r\n",
        "\u{0}",
        "\u{7f}",
        "~",
        "shop.vn",
        "shop-gia.vn",
        "abc.com.vn",
        "https://www.facebook.com/",
        "m.facebook.com/",
        "web.",
        "fb.com/",
        "t.me/s/",
        "zalo.me/g/",
        "sha-256:",
        "SHA1:",
        "bitcoin:",
        "?amount=1",
        "0123456789",
        "4455667788",
        "(+1) ",
        "+1 202 555 0143",
        "028 3829 1234",
        "1900",
    ];
    const VIET: &str = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐƯƠ";

    fn random_input(r: &mut Rng) -> String {
        let mut s = match r.below(8) {
            6 | 7 => {
                // Structured: fragments mixed with runs of digits, hex, letters.
                let mut s = String::new();
                for _ in 0..1 + r.below(7) {
                    match r.below(4) {
                        0 | 1 => s.push_str(r.pick(FRAGMENTS)),
                        2 => {
                            s.extend((0..r.below(12)).map(|_| char::from(b'0' + r.below(10) as u8)))
                        }
                        _ => s.extend(
                            (0..r.below(12))
                                .map(|_| char::from(b"abcdefxyzABCDEF-._"[r.below(18)])),
                        ),
                    }
                }
                s
            }
            0 => {
                let bytes: Vec<u8> = (0..r.below(64)).map(|_| r.next() as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            1 => (0..r.below(24))
                .map(|_| {
                    let c = r.below(14);
                    if c < 10 {
                        char::from(b'0' + c as u8)
                    } else {
                        [' ', '.', '-', '+'][c - 10]
                    }
                })
                .collect(),
            2 => (0..r.below(70))
                .map(|_| char::from(b"0123456789abcdefABCDEF:x"[r.below(24)]))
                .collect(),
            3 => {
                let v: Vec<char> = VIET.chars().collect();
                (0..r.below(20)).map(|_| v[r.below(v.len())]).collect()
            }
            4 => (0..r.below(8)).map(|_| r.pick(FRAGMENTS)).collect(),
            _ => {
                let n = NARRATIVES[r.below(NARRATIVES.len())];
                let chars: Vec<char> = n.chars().collect();
                let a = r.below(chars.len());
                let b = (a + r.below(200)).min(chars.len());
                chars[a..b].iter().collect()
            }
        };
        // Mutations at char boundaries.
        for _ in 0..r.below(4) {
            let chars: Vec<char> = s.chars().collect();
            let at = r.below(chars.len() + 1);
            let head: String = chars[..at].iter().collect();
            let tail: String = chars[at..].iter().collect();
            s = match r.below(4) {
                0 => format!("{head}{}{tail}", r.pick(FRAGMENTS)),
                1 => format!(
                    "{head}{}",
                    tail.chars().skip(1 + r.below(3)).collect::<String>()
                ),
                2 => format!("{}{tail}", head.to_uppercase()),
                _ => format!(
                    "{head}{}{tail}",
                    char::from_u32(r.next() as u32 % 0x11_0000).unwrap_or('?')
                ),
            };
        }
        s
    }

    /// `FUZZ_CASES=2000000 cargo test --release -- --ignored fuzz --nocapture`
    #[test]
    #[ignore]
    fn fuzz() {
        let cases: u64 = std::env::var("FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        let seed = std::env::var("FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x9e37_79b9_7f4a_7c15u64);
        let mut r = Rng(seed | 1);
        let banks = banks();
        let quals = ["", "VCB", "momo", "?", "a:b", "ß", " İ "];
        let started = std::time::Instant::now();
        let (mut normalisations, mut extractions) = (0u64, 0u64);
        for _ in 0..cases {
            let input = random_input(&mut r);
            for kind in IdKind::ALL {
                let q = quals[r.below(quals.len())];
                if let Some(v) = norm::normalise(*kind, &input, q) {
                    assert_eq!(
                        norm::normalise(*kind, &v, q).as_deref(),
                        Some(v.as_str()),
                        "{kind:?} {input:?} {q:?}"
                    );
                }
                normalisations += 1;
            }
            check_suggestions(&input, &banks);
            extractions += 1;
        }
        println!(
            "fuzz: {cases} inputs, {normalisations} normalisations, {extractions} extractions, {:?}",
            started.elapsed()
        );
    }
}
