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

impl Bank {
    /// The name people know it by (its short name, else its code).
    pub fn short_name(&self) -> &str {
        // `models::bank::names` lists code, BIN, short name, full name, aliases.
        self.names.get(2).map_or(self.code.as_str(), String::as_str)
    }
}

/// The bank someone named: by its code, short name, full name, NAPAS BIN or a
/// former name, in any case, with or without diacritics ("Vietcombank",
/// "vcb", "Ngan hang Ngoai thuong Viet Nam", "LienVietPostBank").
pub fn resolve_bank<'a>(banks: &'a [Bank], written: &str) -> Option<&'a Bank> {
    let key = crate::domain::text::fold_key(written);
    if key.is_empty() {
        return None;
    }
    banks.iter().find(|b| {
        b.names
            .iter()
            .any(|n| crate::domain::text::fold_key(n) == key)
    })
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
mod tests;
