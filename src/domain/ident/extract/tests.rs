//! Tests of `extract`, kept apart: with its property tests the file would be
//! twice the size of the code it checks.

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

const SCAM_CALL: &str =
    "Ngày 12/11/2026, bà Nguyễn Thị Lan (CCCD 001089012345) nhận cuộc gọi từ số \
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

const FAKE_SHOP: &str =
    "Chị Trần Thị Mai (SN 1995, CCCD 079195001234) xem quảng cáo bán iPhone 17 giá rẻ \
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

const INCIDENT: &str =
    "Báo cáo sự cố: lúc 02:15 ngày 12/11/2026, máy chủ web của Sở X (IP 203.113.131.5) \
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
const VIET: &str =
    "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐƯƠ";

fn random_input(r: &mut Rng) -> String {
    let mut s = match r.below(8) {
        6 | 7 => {
            // Structured: fragments mixed with runs of digits, hex, letters.
            let mut s = String::new();
            for _ in 0..1 + r.below(7) {
                match r.below(4) {
                    0 | 1 => s.push_str(r.pick(FRAGMENTS)),
                    2 => s.extend((0..r.below(12)).map(|_| char::from(b'0' + r.below(10) as u8))),
                    _ => s.extend(
                        (0..r.below(12)).map(|_| char::from(b"abcdefxyzABCDEF-._"[r.below(18)])),
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
