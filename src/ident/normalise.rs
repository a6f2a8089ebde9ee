//! Pure normalisers (DESIGN.md §7): the same phone, account or URL written
//! differently becomes one value, so reports match across victims.

crate::text_enum!(
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

/// A phone number in E.164, read as Vietnamese unless it carries another
/// country code: `0912 345 678`, `+84 912 345 678`, `84-912-345-678` are one.
pub fn phone(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let digits = cleaned.trim_start_matches('+');
    if !(8..=15).contains(&digits.len()) || cleaned.rfind('+').is_some_and(|i| i > 0) {
        return None;
    }
    // "84…" without a plus is how many victims copy a number: the country code
    // followed by a valid national number.
    let candidate = if !cleaned.starts_with('+') && digits.starts_with("84") && digits.len() >= 11 {
        format!("+{digits}")
    } else {
        cleaned.clone()
    };
    let parsed = phonenumber::parse(Some(phonenumber::country::Id::VN), &candidate)
        .ok()
        .filter(phonenumber::is_valid)
        .or_else(|| {
            phonenumber::parse(Some(phonenumber::country::Id::VN), &cleaned)
                .ok()
                .filter(phonenumber::is_valid)
        })?;
    Some(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// An e-mail address with the domain lower-cased (the local part is kept: some
/// providers tell case apart).
pub fn email(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_start_matches("mailto:");
    let (local, domain) = raw.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_lowercase();
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\".contains(c);
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && raw.len() <= 254
        && !raw.chars().any(bad_char);
    if !ok {
        return None;
    }
    Some(format!("{local}@{}", idna_domain(&domain)?))
}

fn idna_domain(domain: &str) -> Option<String> {
    let url = url::Url::parse(&format!("http://{domain}/")).ok()?;
    url.host_str().map(str::to_owned)
}

/// A web address: scheme and host lower-case (IDNA), default port and fragment
/// removed. A bare `example.com/x` is read as http.
pub fn url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 2000 || raw.chars().any(char::is_whitespace) {
        return None;
    }
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("http://{raw}")
    };
    let mut u = url::Url::parse(&with_scheme).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(|h| !h.contains('.')) {
        return None;
    }
    u.set_fragment(None);
    Some(u.to_string())
}

/// A bank account: the bank's code and the digits of the number.
pub fn bank_account(bank_code: &str, raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let only_separators = raw
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.'));
    if !only_separators || !(6..=19).contains(&digits.len()) {
        return None;
    }
    let code = bank_code.trim().to_uppercase();
    let code = if code.is_empty() {
        "?".to_owned()
    } else {
        code
    };
    Some(format!("{code}:{digits}"))
}

/// An e-wallet: provider and account (a phone number when it is one).
pub fn ewallet(provider: &str, raw: &str) -> Option<String> {
    let id = phone(raw).or_else(|| {
        let t = raw.trim();
        (!t.is_empty() && t.len() <= 100 && !t.chars().any(char::is_whitespace))
            .then(|| t.to_lowercase())
    })?;
    let provider = provider.trim().to_lowercase();
    let provider = if provider.is_empty() {
        "?".to_owned()
    } else {
        provider
    };
    Some(format!("{provider}:{id}"))
}

/// A crypto wallet with its chain, told from the format.
pub fn crypto_wallet(raw: &str) -> Option<String> {
    let a = raw.trim();
    let alnum = a.chars().all(|c| c.is_ascii_alphanumeric());
    if a.starts_with("0x") && a.len() == 42 && a[2..].chars().all(|c| c.is_ascii_hexdigit()) {
        return Some(format!("ETH:{}", a.to_lowercase()));
    }
    if a.starts_with('T') && a.len() == 34 && alnum {
        return Some(format!("TRON:{a}"));
    }
    let lower = a.to_lowercase();
    if lower.starts_with("bc1") && (14..=74).contains(&a.len()) && alnum {
        return Some(format!("BTC:{lower}"));
    }
    if (a.starts_with('1') || a.starts_with('3')) && (26..=35).contains(&a.len()) && alnum {
        return Some(format!("BTC:{a}"));
    }
    None
}

/// A social account: platform and handle or id, from a profile URL or a handle.
pub fn social(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 300 {
        return None;
    }
    if let Some(u) = url(t) {
        let parsed = url::Url::parse(&u).ok()?;
        let host = parsed
            .host_str()?
            .trim_start_matches("www.")
            .trim_start_matches("m.");
        let platform = match host {
            "facebook.com" | "fb.com" => "facebook",
            "zalo.me" => "zalo",
            "t.me" | "telegram.me" => "telegram",
            "tiktok.com" => "tiktok",
            _ => return None,
        };
        if platform == "facebook" && parsed.path() == "/profile.php" {
            let id = parsed.query_pairs().find(|(k, _)| k == "id")?.1.to_string();
            return Some(format!("facebook:{id}"));
        }
        let handle = parsed
            .path_segments()?
            .find(|s| !s.is_empty())?
            .trim_start_matches('@')
            .to_lowercase();
        return (!handle.is_empty()).then(|| format!("{platform}:{handle}"));
    }
    let handle = t.trim_start_matches('@').to_lowercase();
    (!handle.chars().any(char::is_whitespace)).then(|| format!("handle:{handle}"))
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
        IdKind::CryptoWallet => crypto_wallet(raw),
        IdKind::Social => social(raw),
        IdKind::Domain | IdKind::Ip | IdKind::FileHash | IdKind::Other => {
            let t = raw.trim();
            (!t.is_empty() && t.chars().count() <= 300).then(|| t.to_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_phones_written_any_way_are_one() {
        for raw in [
            "0912 345 678",
            "+84912345678",
            "84-912-345-678",
            "+84 912 345 678",
            "(+84) 912.345.678",
        ] {
            assert_eq!(phone(raw).as_deref(), Some("+84912345678"), "{raw}");
        }
        assert_eq!(phone("12345"), None);
        assert_eq!(phone("0912abc"), None);
        assert_eq!(phone("+1 202 555 0143").as_deref(), Some("+12025550143"));
    }

    #[test]
    fn accounts_urls_emails_wallets_and_social() {
        assert_eq!(
            bank_account("vcb", "0011 0044-55667").as_deref(),
            Some("VCB:0011004455667")
        );
        assert_eq!(bank_account("VCB", "12ab34"), None);
        assert_eq!(
            url("HTTPS://Shop-Gia.VN:443/a?b=1#x").as_deref(),
            Some("https://shop-gia.vn/a?b=1")
        );
        assert_eq!(url("shop-gia.vn").as_deref(), Some("http://shop-gia.vn/"));
        assert_eq!(url("javascript:alert(1)"), None);
        let idn = url("http://Bộcôngan.vn/").expect("idn");
        assert!(
            idn.starts_with("http://xn--") && idn.ends_with(".vn/"),
            "{idn}"
        );
        assert_eq!(email(" Lan@PA05.VN ").as_deref(), Some("Lan@pa05.vn"));
        assert_eq!(email("no-at-sign"), None);
        assert_eq!(
            crypto_wallet("0xAbCdEf0123456789abcdef0123456789ABCDEF01").as_deref(),
            Some("ETH:0xabcdef0123456789abcdef0123456789abcdef01")
        );
        assert!(crypto_wallet("TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE")
            .is_some_and(|v| v.starts_with("TRON:")));
        assert_eq!(crypto_wallet("hello"), None);
        assert_eq!(
            social("https://www.facebook.com/nguyen.van.a?ref=x").as_deref(),
            Some("facebook:nguyen.van.a")
        );
        assert_eq!(
            social("https://facebook.com/profile.php?id=1000123").as_deref(),
            Some("facebook:1000123")
        );
        assert_eq!(
            social("https://t.me/@LuaDao").as_deref(),
            Some("telegram:luadao")
        );
        assert_eq!(
            ewallet("MoMo", "0912 345 678").as_deref(),
            Some("momo:+84912345678")
        );
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        for (kind, raw, q) in [
            (IdKind::Phone, "0912 345 678", ""),
            (IdKind::Url, "Shop.VN/x#y", ""),
            (IdKind::Email, "A@B.VN", ""),
            (
                IdKind::CryptoWallet,
                "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "",
            ),
        ] {
            let once = normalise(kind, raw, q).expect("valid");
            let again = match kind {
                IdKind::CryptoWallet => once
                    .split_once(':')
                    .and_then(|(_, a)| crypto_wallet(a))
                    .expect("valid"),
                _ => normalise(kind, &once, q).expect("valid"),
            };
            assert_eq!(once, again, "{kind:?}");
        }
    }
}
