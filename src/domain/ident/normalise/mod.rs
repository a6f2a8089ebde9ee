//! Pure normalisers (`docs/domain.md` §7): the same phone, account or URL written
//! differently becomes one value, so reports match across victims.
//!
//! Every normaliser accepts its own output and returns it unchanged (stored
//! values can be re-normalised safely), and none panics on any input.

use sha2::{Digest, Sha256};

crate::code_enum!(
    IdKind, "id-kind" {
        Phone => "phone",
        BankAccount => "bank_account",
        Ewallet => "ewallet",
        Email => "email",
        Url => "url",
        Domain => "domain",
        Ip => "ip",
        CryptoWallet => "crypto_wallet",
        Social => "social",
        FileHash => "file_hash",
        Other => "other",
    }
);

/// What the public form offers for suspect identifiers.
pub const PUBLIC_KINDS: &[IdKind] = &[
    IdKind::Phone,
    IdKind::BankAccount,
    IdKind::Ewallet,
    IdKind::Social,
    IdKind::Url,
    IdKind::Email,
    IdKind::CryptoWallet,
    IdKind::Other,
];

/// `s` without a leading `prefix`, compared case-insensitively (`None` when
/// absent). Uses `get` so a prefix ending inside a multi-byte char is no match.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    (head.to_lowercase() == prefix.to_lowercase()).then(|| &s[prefix.len()..])
}

/// A phone number in E.164, read as Vietnamese unless it carries another
/// country code: `0912 345 678`, `+84 912 345 678`, `84-912-345-678`,
/// `(+84) 912.345.678` are one. Anything but digits, one leading `+` and the
/// usual separators is refused, so `0912abc` is not silently read as `0912`.
/// A number whose E.164 form would not read back the same (libphonenumber
/// metadata quirks, e.g. `00 27…` dialled from Vietnam) is refused too.
pub fn phone(raw: &str) -> Option<String> {
    phone_once(raw).filter(|e| phone_once(e).as_ref() == Some(e))
}

fn phone_once(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let mut digits = String::new();
    let mut plus = false;
    for c in t.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            ' ' | '.' | '-' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    if !(8..=15).contains(&digits.len()) {
        return None;
    }
    let mut candidates = Vec::with_capacity(3);
    // "84…" without a plus is how many victims copy a number; "+84 0912…"
    // keeps the national trunk 0 that must go.
    if plus || (digits.starts_with("84") && digits.len() >= 11) {
        candidates.push(format!("+{digits}"));
        if let Some(rest) = digits.strip_prefix("840") {
            candidates.push(format!("+84{rest}"));
        }
    }
    if !plus {
        candidates.push(digits);
    }
    candidates.iter().find_map(|c| {
        phonenumber::parse(Some(phonenumber::country::Id::VN), c)
            .ok()
            .filter(phonenumber::is_valid)
            .map(|p| p.format().mode(phonenumber::Mode::E164).to_string())
    })
}

/// An e-mail address with the domain lower-cased and IDNA-encoded (the local
/// part is kept: some providers tell case apart).
pub fn email(raw: &str) -> Option<String> {
    let t = raw.trim();
    let t = strip_prefix_ci(t, "mailto:").unwrap_or(t);
    if t.len() > 1000 {
        return None;
    }
    let (local, domain) = t.rsplit_once('@')?;
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\@".contains(c);
    if local.is_empty() || local.len() > 64 || local.chars().any(bad_char) {
        return None;
    }
    let out = format!("{local}@{}", hostname(domain)?);
    (out.len() <= 254).then_some(out)
}

/// A DNS host name: IDNA (UTS #46) to lower-case ASCII, trailing dot removed,
/// with at least two labels, a plausible TLD and DNS length limits. IP
/// literals are refused (they are `ip`).
fn hostname(raw: &str) -> Option<String> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || "%/\\?#@:[]<>|^\"'`{}".contains(c);
    if raw.is_empty() || raw.len() > 1000 || raw.chars().any(bad) {
        return None;
    }
    let url::Host::Domain(d) = url::Host::parse(raw.trim_end_matches('.')).ok()? else {
        return None;
    };
    // IDNA maps e.g. U+3002 to '.', so the trailing dot may reappear.
    let d = d.trim_end_matches('.');
    if d.len() > 253 {
        return None;
    }
    let labels: Vec<&str> = d.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld = labels.last()?;
    let tld_ok = (tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_lowercase()))
        || (tld.len() >= 5 && tld.starts_with("xn--"));
    (labels.len() >= 2 && tld_ok && labels.iter().all(label_ok)).then(|| d.to_owned())
}

/// A domain name (`Bộcôngan.vn` → `xn--…`), also when written as a URL (the
/// host is taken). `www.` is kept: it may be a different site.
pub fn domain(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.len() > 2000 {
        return None;
    }
    if t.contains("://") {
        let u = url::Url::parse(t).ok()?;
        return match u.host()? {
            url::Host::Domain(h) => hostname(h),
            _ => None,
        };
    }
    if t.contains(['/', '?', '#', ':']) {
        if t.contains(['@', '[']) || t.chars().any(char::is_whitespace) {
            return None;
        }
        let u = url::Url::parse(&format!("http://{t}")).ok()?;
        return match u.host()? {
            url::Host::Domain(h) => hostname(h),
            _ => None,
        };
    }
    hostname(t)
}

/// An IP address in the canonical form `std::net` prints (IPv6 compressed,
/// lower-case). Octets with leading zeros (`010.1.1.1`) are refused: some
/// tools read them as octal.
pub fn ip(raw: &str) -> Option<String> {
    let t = raw.trim();
    let t = t
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(t);
    if t.len() > 100 {
        return None;
    }
    t.parse::<std::net::IpAddr>().ok().map(|a| a.to_string())
}

/// A web address: scheme and host lower-case (IDNA), default port and fragment
/// removed. A bare `example.com/x` is read as http.
pub fn url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty()
        || raw.len() > 4000
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        // A bare "a@b.vn" is an e-mail, not a URL with credentials.
        let authority = raw.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return None;
        }
        format!("http://{raw}")
    };
    let mut u = url::Url::parse(&with_scheme).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host_ok = match u.host()? {
        url::Host::Domain(h) => h.contains('.') && !h.starts_with('.'),
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => true,
    };
    if !host_ok {
        return None;
    }
    u.set_fragment(None);
    let out = u.to_string();
    (out.len() <= 2000).then_some(out)
}

/// A bank account: the bank's code and the digits of the number. Accepts its
/// own output (`VCB:0011…` with qualifier `VCB`).
pub fn bank_account(bank_code: &str, raw: &str) -> Option<String> {
    let code = bank_code.trim().to_uppercase();
    let code = if code.is_empty() {
        "?".to_owned()
    } else {
        code
    };
    let t = raw.trim();
    let t = strip_prefix_ci(t, &format!("{code}:")).unwrap_or(t);
    let only_separators = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.'));
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if !only_separators || !(6..=19).contains(&digits.len()) {
        return None;
    }
    Some(format!("{code}:{digits}"))
}

/// An e-wallet: provider and account (E.164 when it is a phone number).
/// Accepts its own output (`momo:+849…` with provider `momo`).
pub fn ewallet(provider: &str, raw: &str) -> Option<String> {
    let provider = provider.trim().to_lowercase();
    let provider = if provider.is_empty() {
        "?".to_owned()
    } else {
        provider
    };
    let t = raw.trim();
    let t = strip_prefix_ci(t, &format!("{provider}:")).unwrap_or(t);
    let id = phone(t).or_else(|| {
        let id = t.trim().to_lowercase();
        (!id.is_empty()
            && id.len() <= 100
            && !id.chars().any(|c| c.is_whitespace() || c.is_control()))
        .then_some(id)
    })?;
    Some(format!("{provider}:{id}"))
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Base58 decode (Bitcoin alphabet); short inputs only, so the quadratic big
/// number arithmetic is cheap.
fn base58_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() > 64 {
        return None;
    }
    let mut le: Vec<u8> = Vec::new(); // little-endian
    for c in s.bytes() {
        let mut carry = BASE58.iter().position(|&b| b == c)? as u32;
        for byte in le.iter_mut() {
            carry += u32::from(*byte) * 58;
            *byte = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            le.push(carry as u8);
            carry >>= 8;
        }
    }
    let zeros = s.bytes().take_while(|&b| b == b'1').count();
    let mut out = vec![0; zeros];
    out.extend(le.iter().rev());
    Some(out)
}

/// The payload of a Base58Check string (version byte + data) if the 4-byte
/// double-SHA256 checksum matches.
fn base58check(s: &str) -> Option<Vec<u8>> {
    let v = base58_decode(s)?;
    if v.len() < 5 {
        return None;
    }
    let (payload, sum) = v.split_at(v.len() - 4);
    let hash = Sha256::digest(Sha256::digest(payload));
    (hash[..4] == *sum).then(|| payload.to_vec())
}

const BECH32_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn bech32_polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// A native SegWit address (BIP-173 bech32 for v0, BIP-350 bech32m for v1+),
/// lower-cased. Mixed case is invalid by the spec.
fn bech32_btc(a: &str) -> Option<String> {
    if !(14..=90).contains(&a.len()) || !a.is_ascii() {
        return None;
    }
    let has_lower = a.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = a.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        return None;
    }
    let l = a.to_ascii_lowercase();
    let (hrp, data) = l.rsplit_once('1')?;
    if hrp != "bc" || data.len() < 7 {
        return None;
    }
    let values: Vec<u8> = data
        .bytes()
        .map(|c| BECH32_CHARSET.iter().position(|&b| b == c).map(|p| p as u8))
        .collect::<Option<_>>()?;
    let expanded = hrp
        .bytes()
        .map(|b| b >> 5)
        .chain([0])
        .chain(hrp.bytes().map(|b| b & 31))
        .chain(values.iter().copied());
    let bech32m = match bech32_polymod(expanded) {
        1 => false,
        0x2bc8_30a3 => true,
        _ => return None,
    };
    let version = values[0];
    // Regroup the 5-bit program into bytes; padding must be < 5 bits of zeros.
    let (mut acc, mut bits, mut program) = (0u32, 0u32, Vec::new());
    for &v in &values[1..values.len() - 6] {
        acc = ((acc << 5) | u32::from(v)) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            program.push((acc >> bits) as u8);
        }
    }
    if bits >= 5 || (acc << (8 - bits)) & 0xff != 0 {
        return None;
    }
    let ok = match version {
        0 => !bech32m && matches!(program.len(), 20 | 32),
        1..=16 => bech32m && (2..=40).contains(&program.len()),
        _ => false,
    };
    ok.then_some(l)
}

/// An Ethereum address, lower-cased; mixed case must pass EIP-55.
fn eth_address(a: &str) -> Option<String> {
    let hex = a.strip_prefix("0x").or_else(|| a.strip_prefix("0X"))?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let lower = hex.to_ascii_lowercase();
    let mixed =
        hex.bytes().any(|b| b.is_ascii_uppercase()) && hex.bytes().any(|b| b.is_ascii_lowercase());
    if mixed {
        use tiny_keccak::Hasher;
        let mut hash = [0u8; 32];
        let mut k = tiny_keccak::Keccak::v256();
        k.update(lower.as_bytes());
        k.finalize(&mut hash);
        let ok = hex.bytes().enumerate().all(|(i, b)| {
            let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
            !b.is_ascii_alphabetic() || b.is_ascii_uppercase() == (nibble >= 8)
        });
        if !ok {
            return None;
        }
    }
    Some(format!("0x{lower}"))
}

/// A crypto wallet with its chain, told from the format and checked by its
/// checksum so a typo never matches another victim's report. An optional
/// `BTC:`/`ETH:`/`TRON:` prefix (our own output) must agree with the format.
pub fn crypto_wallet(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.len() > 200 {
        return None;
    }
    let (chain, a) = match t.split_once(':') {
        Some((p, rest)) => {
            let chain = match p.trim().to_ascii_uppercase().as_str() {
                "BTC" | "BITCOIN" => "BTC",
                "ETH" | "ETHEREUM" => "ETH",
                "TRON" | "TRX" => "TRON",
                _ => return None,
            };
            // A BIP-21 style "bitcoin:addr?amount=…" carries extras.
            let rest = rest.split('?').next().unwrap_or("");
            (Some(chain), rest.trim())
        }
        None => (None, t),
    };
    let (found_chain, addr) = if a.starts_with("0x") || a.starts_with("0X") {
        ("ETH", eth_address(a)?)
    } else if a.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("bc1")) {
        ("BTC", bech32_btc(a)?)
    } else if a.starts_with('T') && a.len() == 34 {
        let p = base58check(a)?;
        (p.len() == 21 && p[0] == 0x41).then_some(())?;
        ("TRON", a.to_owned())
    } else if (a.starts_with('1') || a.starts_with('3')) && (25..=35).contains(&a.len()) {
        let p = base58check(a)?;
        (p.len() == 21 && matches!(p[0], 0x00 | 0x05)).then_some(())?;
        ("BTC", a.to_owned())
    } else {
        return None;
    };
    if chain.is_some_and(|c| c != found_chain) {
        return None;
    }
    Some(format!("{found_chain}:{addr}"))
}

/// The platform of a profile host (`www.`, `m.`, `web.` … prefixes allowed).
fn social_platform(host: &str) -> Option<&'static str> {
    let h = ["www.", "m.", "web.", "mobile.", "mbasic.", "touch."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .unwrap_or(host);
    match h {
        "facebook.com" | "fb.com" | "fb.me" => Some("facebook"),
        "zalo.me" => Some("zalo"),
        "t.me" | "telegram.me" | "telegram.dog" => Some("telegram"),
        "tiktok.com" => Some("tiktok"),
        _ => None,
    }
}

/// `platform:id`: Zalo ids that are phone numbers become E.164, other
/// handles lower-case ASCII (what the platforms allow; no whitespace).
fn social_id(platform: &str, raw: &str) -> Option<String> {
    let raw = raw.trim();
    let h = raw.strip_prefix('@').unwrap_or(raw);
    if platform == "zalo" {
        if let Some(p) = phone(h) {
            return Some(format!("zalo:{p}"));
        }
    }
    let ok = (1..=100).contains(&h.len())
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    ok.then(|| format!("{platform}:{}", h.to_ascii_lowercase()))
}

/// `Some(result)` when `u` is on a social platform (result `None` when it is
/// not a profile, e.g. a Facebook group), `None` for other sites.
fn social_profile(u: &url::Url) -> Option<Option<String>> {
    let platform = social_platform(u.host_str()?)?;
    let segs: Vec<&str> = u
        .path_segments()
        .map(|s| s.filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    let first = segs.first().copied().unwrap_or("");
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let result = match platform {
        "facebook" => match first {
            "profile.php" => u
                .query_pairs()
                .find(|(k, _)| k == "id")
                .filter(|(_, v)| numeric(v))
                .and_then(|(_, v)| social_id("facebook", &v)),
            "people" | "pages" => segs
                .last()
                .filter(|s| numeric(s))
                .and_then(|id| social_id("facebook", id)),
            "groups" | "share" | "sharer" | "sharer.php" | "watch" | "events" | "marketplace"
            | "hashtag" | "reel" | "story.php" | "permalink.php" | "photo.php" | "photo"
            | "login" | "login.php" | "home.php" | "help" | "policies" => None,
            _ => social_id("facebook", first),
        },
        "telegram" => match first {
            "s" => segs.get(1).and_then(|h| social_id("telegram", h)),
            "joinchat" | "c" | "addstickers" | "share" => None,
            h if h.starts_with('+') => None,
            h => social_id("telegram", h),
        },
        "zalo" => match first {
            "g" | "s" => None,
            h => social_id("zalo", h),
        },
        _ => first
            .starts_with('@')
            .then(|| social_id("tiktok", first))
            .flatten(),
    };
    Some(result)
}

/// `telegram: @x`, `zalo 0912…`, `fb: a.b` (an officer's note), or our own
/// `platform:id` output.
fn platform_prefix(t: &str) -> Option<(&'static str, &str)> {
    let end = t.find(|c: char| c == ':' || c.is_whitespace())?;
    let platform = match t[..end].to_ascii_lowercase().as_str() {
        "facebook" | "fb" => "facebook",
        "zalo" => "zalo",
        "telegram" | "tele" | "tg" => "telegram",
        "tiktok" => "tiktok",
        "handle" => "handle",
        _ => return None,
    };
    let rest = t[end..].trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
    Some((platform, rest))
}

/// A social account: `platform:handle-or-id` from a profile URL or a note
/// naming the platform; a bare `@name`/`name` is `handle:name`.
pub fn social(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 300 || t.chars().any(char::is_control) {
        return None;
    }
    let as_profile = |s: &str| {
        let u = url::Url::parse(&url(s)?).ok()?;
        social_profile(&u)
    };
    if let Some(result) = as_profile(t) {
        return result;
    }
    if let Some((platform, rest)) = platform_prefix(t) {
        // Handles never contain '/', so only then is the rest a profile URL.
        if rest.contains('/') {
            return as_profile(rest)
                .flatten()
                .filter(|v| v.starts_with(&format!("{platform}:")));
        }
        return social_id(platform, rest);
    }
    social_id("handle", t)
}

/// A file hash (`md5:`, `sha1:`, `sha256:` + lower-case hex), the algorithm
/// told by the length; an optional prefix must agree with it.
pub fn file_hash(raw: &str) -> Option<String> {
    let t = raw.trim();
    let (named, hex) = match t.split_once(':') {
        Some((p, rest)) => {
            let algo = match p.trim().to_ascii_lowercase().as_str() {
                "md5" => "md5",
                "sha1" | "sha-1" => "sha1",
                "sha256" | "sha-256" => "sha256",
                _ => return None,
            };
            (Some(algo), rest.trim())
        }
        None => (None, t),
    };
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let algo = match hex.len() {
        32 => "md5",
        40 => "sha1",
        64 => "sha256",
        _ => return None,
    };
    if named.is_some_and(|n| n != algo) {
        return None;
    }
    Some(format!("{algo}:{}", hex.to_ascii_lowercase()))
}

/// Normalises a value of `kind`; `qualifier` is the bank code or wallet provider.
/// A value that would not fit the table (e.g. a long IDN URL once encoded) is
/// refused like any other malformed one.
pub fn normalise(kind: IdKind, raw: &str, qualifier: &str) -> Option<String> {
    normalise_any(kind, raw, qualifier).filter(|v| v.chars().count() <= 500)
}

fn normalise_any(kind: IdKind, raw: &str, qualifier: &str) -> Option<String> {
    match kind {
        IdKind::Phone => phone(raw),
        IdKind::BankAccount => bank_account(qualifier, raw),
        IdKind::Ewallet => ewallet(qualifier, raw),
        IdKind::Email => email(raw),
        IdKind::Url => url(raw),
        IdKind::Domain => domain(raw),
        IdKind::Ip => ip(raw),
        IdKind::CryptoWallet => crypto_wallet(raw),
        IdKind::Social => social(raw),
        IdKind::FileHash => file_hash(raw),
        IdKind::Other => {
            let t = raw.trim().to_lowercase();
            (!t.is_empty() && t.chars().count() <= 300).then_some(t)
        }
    }
}

#[cfg(test)]
mod tests;
