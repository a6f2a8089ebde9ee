//! Tests of `normalise`, kept apart: with its property tests the file would be
//! twice the size of the code it checks.

use super::*;
use proptest::prelude::*;

/// `normalise` of its own output gives the output back (the stored value
/// is stable), for every kind.
fn assert_fixed_point(kind: IdKind, raw: &str, q: &str) {
    if let Some(v) = normalise(kind, raw, q) {
        assert_eq!(
            normalise(kind, &v, q).as_deref(),
            Some(v.as_str()),
            "{kind:?} {raw:?} {q:?}"
        );
    }
}

fn check(f: fn(&str) -> Option<String>, cases: &[(&str, Option<&str>)]) {
    for (raw, want) in cases {
        assert_eq!(f(raw).as_deref(), *want, "{raw:?}");
    }
}

#[test]
fn phones() {
    let vn = Some("+84912345678");
    check(
        phone,
        &[
            ("0912 345 678", vn),
            ("0912.345.678", vn),
            ("0912-345-678", vn),
            ("+84912345678", vn),
            ("84912345678", vn),
            ("84-912-345-678", vn),
            ("+84 912 345 678", vn),
            ("(+84) 912.345.678", vn),
            ("+84 (0) 912 345 678", vn),
            (" 0912345678 ", vn),
            ("024 3826 9999", Some("+842438269999")),
            ("(028) 3829 1234", Some("+842838291234")),
            ("+1 202 555 0143", Some("+12025550143")),
            ("12345", None),
            ("0912abc", None),
            ("0912 345 678 abc", None),
            ("+84+912345678", None),
            ("079201001234", None), // a CCCD number
            ("", None),
            ("১২৩৪৫৬৭৮৯০", None), // non-ASCII digits
        ],
    );
}

#[test]
fn bank_accounts() {
    let cases = [
        ("vcb", "0011 0044-55667", Some("VCB:0011004455667")),
        ("VCB", "0011.0044.55667", Some("VCB:0011004455667")),
        ("VCB", "VCB:0011004455667", Some("VCB:0011004455667")),
        ("VCB", "vcb: 0011004455667", Some("VCB:0011004455667")),
        ("", "123456", Some("?:123456")),
        ("", "?:123456", Some("?:123456")),
        ("VCB", "12ab34", None),
        ("VCB", "12345", None),
        ("VCB", "12345678901234567890", None),
        ("VCB", "0011/0044", None),
        ("VCB", "MB:0011004455667", None),
    ];
    for (code, raw, want) in cases {
        assert_eq!(bank_account(code, raw).as_deref(), want, "{code} {raw}");
    }
}

#[test]
fn ewallets() {
    let cases = [
        ("MoMo", "0912 345 678", Some("momo:+84912345678")),
        ("momo", "momo:+84912345678", Some("momo:+84912345678")),
        ("ZaloPay", "NguyenVanA", Some("zalopay:nguyenvana")),
        ("", "abc", Some("?:abc")),
        ("momo", "a b", None),
        ("momo", "", None),
    ];
    for (p, raw, want) in cases {
        assert_eq!(ewallet(p, raw).as_deref(), want, "{p} {raw}");
    }
}

#[test]
fn emails() {
    check(
        email,
        &[
            (" Lan@PA05.VN ", Some("Lan@pa05.vn")),
            ("mailto:a.b@Gmail.com.", Some("a.b@gmail.com")),
            ("lan@Bộcôngan.vn", Some("lan@xn--bcngan-jxa6332d.vn")),
            ("no-at-sign", None),
            ("a@b", None),
            ("a b@c.vn", None),
            ("a@b.vn#x", None),
            ("a@b.vn/x", None),
            ("a@1.2.3.4", None),
            ("@b.vn", None),
        ],
    );
}

#[test]
fn urls() {
    check(
        url,
        &[
            (
                "HTTPS://Shop-Gia.VN:443/a?b=1#x",
                Some("https://shop-gia.vn/a?b=1"),
            ),
            ("http://shop.vn:80/", Some("http://shop.vn/")),
            ("http://shop.vn:8080/A", Some("http://shop.vn:8080/A")),
            ("shop-gia.vn", Some("http://shop-gia.vn/")),
            ("shop.vn/x", Some("http://shop.vn/x")),
            ("http://[2001:DB8::1]/", Some("http://[2001:db8::1]/")),
            ("http://10.0.0.1/admin", Some("http://10.0.0.1/admin")),
            ("javascript:alert(1)", None),
            ("ftp://shop.vn/", None),
            ("http://localhost/", None),
            ("http://shop.vn/a b", None),
            ("a@shop.vn", None),
            ("", None),
        ],
    );
    let idn = url("http://Bộcôngan.vn/").expect("idn");
    assert_eq!(idn, "http://xn--bcngan-jxa6332d.vn/");
}

#[test]
fn domains() {
    let idn = Some("xn--bcngan-jxa6332d.vn");
    check(
        domain,
        &[
            ("Bộcôngan.vn", idn),
            ("BỘCÔNGAN.VN.", idn),
            ("XN--BCNGAN-JXA6332D.VN", idn),
            ("xn--bcngan-jxa6332d.vn", idn),
            ("Shop-Gia.VN.", Some("shop-gia.vn")),
            ("www.shop.vn", Some("www.shop.vn")),
            ("https://WWW.Shop.vn:8443/a?b#c", Some("www.shop.vn")),
            ("shop.vn/san-pham", Some("shop.vn")),
            ("abc.com.vn", Some("abc.com.vn")),
            ("1.2.3.4", None),
            ("http://1.2.3.4/", None),
            ("localhost", None),
            ("shop.v1", None),
            ("shop.v", None),
            ("a..vn", None),
            ("-a.vn", None),
            ("a_b.vn", None),
            ("user@shop.vn", None),
            (&format!("{}.vn", "a".repeat(64)), None),
            (&format!("{}vn", "abcdefgh.".repeat(30)), None),
        ],
    );
    assert_eq!(
        domain(&format!("{}.vn", "a".repeat(63))).map(|d| d.len()),
        Some(66)
    );
}

#[test]
fn ips() {
    check(
        ip,
        &[
            ("1.2.3.4", Some("1.2.3.4")),
            (" 203.113.0.5 ", Some("203.113.0.5")),
            ("2001:DB8:0:0:0:0:0:1", Some("2001:db8::1")),
            ("[::1]", Some("::1")),
            ("::ffff:1.2.3.4", Some("::ffff:1.2.3.4")),
            ("010.1.1.1", None),
            ("256.1.1.1", None),
            ("1.2.3", None),
            ("1.2.3.4:80", None),
            ("example.vn", None),
        ],
    );
}

#[test]
fn crypto_wallets() {
    let cases: &[(&str, Option<&str>)] = &[
        // Bitcoin legacy (genesis P2PKH, BIP-13 P2SH example)
        (
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            Some("BTC:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", None),
        (
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            Some("BTC:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
        ),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz", None),
        // bech32 v0 and BIP-350 bech32m vectors
        (
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            Some("BTC:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ),
        (
            "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
            Some("BTC:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp", None),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwF5mdq", None), // mixed case
        (
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
            Some("BTC:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
        ),
        (
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1",
            None,
        ),
        // v1 with a bech32 (not bech32m) checksum: BIP-350 invalid vector
        (
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
            None,
        ),
        ("BC1SW50QGDZ25J", Some("BTC:bc1sw50qgdz25j")),
        (
            "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
            Some("BTC:bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"),
        ),
        // Ethereum, EIP-55 vectors
        (
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            Some("ETH:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
        ),
        ("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed", None),
        (
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            Some("ETH:0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"),
        ),
        (
            "0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359",
            Some("ETH:0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"),
        ),
        (
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            Some("ETH:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
        ),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", None),
        // TRON (USDT contract and a well-known account)
        (
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            Some("TRON:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        ),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", None),
        (
            "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
            Some("TRON:TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"),
        ),
        // own output and prefixes
        (
            "BTC:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            Some("BTC:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ),
        (
            "bitcoin:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa?amount=1",
            Some("BTC:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ),
        ("ETH:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", None),
        ("hello", None),
        ("0xAbCdEf0123456789abcdef0123456789ABCDEF01", None), // bad EIP-55
    ];
    check(crypto_wallet, cases);
}

#[test]
fn socials() {
    check(
        social,
        &[
            (
                "https://www.facebook.com/nguyen.van.a?ref=x",
                Some("facebook:nguyen.van.a"),
            ),
            (
                "https://m.facebook.com/Nguyen.Van.A/",
                Some("facebook:nguyen.van.a"),
            ),
            (
                "web.facebook.com/nguyen.van.a",
                Some("facebook:nguyen.van.a"),
            ),
            ("fb.com/nguyen.van.a", Some("facebook:nguyen.van.a")),
            (
                "https://facebook.com/profile.php?id=1000123",
                Some("facebook:1000123"),
            ),
            (
                "https://www.facebook.com/people/Nguyen-Van-A/100012345678/",
                Some("facebook:100012345678"),
            ),
            ("https://facebook.com/groups/luadao", None),
            ("https://t.me/@LuaDao", Some("telegram:luadao")),
            ("t.me/LuaDao", Some("telegram:luadao")),
            ("https://telegram.me/s/LuaDao", Some("telegram:luadao")),
            ("https://t.me/+AbCdEf", None),
            ("zalo.me/0912345678", Some("zalo:+84912345678")),
            ("https://zalo.me/84912345678", Some("zalo:+84912345678")),
            ("https://www.tiktok.com/@Shop.Gia", Some("tiktok:shop.gia")),
            ("https://www.tiktok.com/Shop", None),
            ("https://shop.vn/abc", None),
            ("@LuaDao", Some("handle:luadao")),
            ("nguyen.van.a", Some("handle:nguyen.van.a")),
            ("telegram:@LuaDao", Some("telegram:luadao")),
            ("telegram:luadao", Some("telegram:luadao")),
            ("tg @LuaDao", Some("telegram:luadao")),
            ("zalo 0912 345 678", Some("zalo:+84912345678")),
            ("zalo:+84912345678", Some("zalo:+84912345678")),
            ("fb: nguyen.van.a", Some("facebook:nguyen.van.a")),
            (
                "FB: https://facebook.com/nguyen.van.a",
                Some("facebook:nguyen.van.a"),
            ),
            ("telegram: https://facebook.com/nguyen.van.a", None),
            ("handle:luadao", Some("handle:luadao")),
            ("Nguyễn Văn A", None),
            ("fb: nguyen van a", None),
            ("", None),
        ],
    );
}

#[test]
fn file_hashes() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(file_hash(md5), Some(format!("md5:{md5}")));
    assert_eq!(
        file_hash(&sha1.to_uppercase()),
        Some(format!("sha1:{sha1}"))
    );
    assert_eq!(
        file_hash(&format!(" SHA-256: {sha256} ")),
        Some(format!("sha256:{sha256}"))
    );
    assert_eq!(
        file_hash(&format!("sha256:{sha256}")),
        Some(format!("sha256:{sha256}"))
    );
    assert_eq!(file_hash(&format!("md5:{sha1}")), None);
    assert_eq!(file_hash(&md5[1..]), None);
    assert_eq!(file_hash(&format!("{}g", &md5[1..])), None);
    assert_eq!(file_hash("sha512:ab"), None);
}

#[test]
fn other_and_limits() {
    assert_eq!(
        normalise(IdKind::Other, "  ABC ", "").as_deref(),
        Some("abc")
    );
    assert_eq!(normalise(IdKind::Other, "   ", ""), None);
    assert_eq!(normalise(IdKind::Other, &"x".repeat(301), ""), None);
    let long = format!("http://shop.vn/{}", "ộ".repeat(200));
    assert_eq!(normalise(IdKind::Url, &long, ""), None); // > 500 once encoded
    assert!(PUBLIC_KINDS.iter().all(|k| IdKind::ALL.contains(k)));
    for k in IdKind::ALL {
        assert_eq!(k.code().parse::<IdKind>(), Ok(*k));
    }
}

#[test]
fn normalising_twice_changes_nothing() {
    for (kind, raw, q) in [
        (IdKind::Phone, "0912 345 678", ""),
        (IdKind::Url, "Shop.VN/x#y", ""),
        (IdKind::Email, "A@Bộcôngan.VN", ""),
        (IdKind::Domain, "https://Bộcôngan.vn/x", ""),
        (IdKind::Ip, "[2001:DB8::0:1]", ""),
        (IdKind::BankAccount, "0011 0044 55667", "vcb"),
        (IdKind::Ewallet, "0912 345 678", "MoMo"),
        (
            IdKind::CryptoWallet,
            "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
            "",
        ),
        (IdKind::Social, "https://www.tiktok.com/@Shop.Gia", ""),
        (IdKind::Social, "zalo.me/0912345678", ""),
        (IdKind::FileHash, "D41D8CD98F00B204E9800998ECF8427E", ""),
        (IdKind::Other, " Mã ĐƠN 123 ", ""),
    ] {
        assert!(normalise(kind, raw, q).is_some(), "{kind:?} {raw}");
        assert_fixed_point(kind, raw, q);
    }
}

/// Proptest cases: small by default, `PROPTEST_CASES` for longer runs.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Strings shaped like each kind, so the property tests reach past the
/// first rejection.
fn shaped() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[+(]{0,2}[0-9 .()+-]{0,20}",
        "(https?://)?(www\\.|m\\.)?[a-zA-Z0-9ộạ.-]{1,15}\\.(vn|com|xn--p1ai)(:[0-9]{1,5})?(/[a-zA-Z0-9@%?=&#./-]{0,20})?",
        "[a-zA-Z0-9.+%-]{1,10}@[a-zA-Zộ0-9.-]{1,12}\\.?",
        "(BTC:|ETH:|TRON:)?(0x[0-9a-fA-F]{40}|bc1[a-zA-Z0-9]{20,60}|[13T][1-9A-HJ-NP-Za-km-z]{25,34})",
        "((md5|sha1|sha-256|sha256):)?[0-9a-fA-F]{30,66}",
        "\\[?[0-9a-fA-F:.]{2,40}\\]?",
        "((facebook|fb|zalo|telegram|tiktok|handle)[: ]{1,2})?@?[a-zA-Z0-9._+ -]{0,20}",
        "(https?://)?(www\\.|m\\.)?(facebook\\.com|fb\\.com|t\\.me|zalo\\.me|tiktok\\.com)/[@a-zA-Z0-9.?=/+]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn every_kind_is_total_and_idempotent(raw in shaped(), q in "[a-zA-Z?: ]{0,5}|\\PC{0,4}") {
        for kind in IdKind::ALL {
            assert_fixed_point(*kind, &raw, &q);
        }
    }
}
