//! What the demo's people send: ten mule accounts that recur across the
//! seeded cases, and twenty public reports, most of them naming one of those
//! accounts, written as the public form sends them (its field names, its
//! `tx-<n>-…` money rows and `id-<n>-…` identifier rows).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::domain::form::FormInput;
use crate::domain::value::fmt_thousands;
use crate::i18n::Lang;
use crate::models::submission::SubmissionKind;

/// An account rented or bought to receive victims' money: the same one turns
/// up in report after report, which is what the hot list is for.
pub(super) struct Mule {
    pub bank: &'static str,
    /// As victims write it, with spaces.
    pub account: &'static str,
    pub holder: &'static str,
    /// How many seeded cases name it.
    pub cases: i64,
}

/// Ten mule accounts, 5 to 40 cases each. Their numbers are longer than any
/// the seed makes, so the counts are exactly these.
pub(super) const MULES: &[Mule] = &[
    Mule {
        bank: "TCB",
        account: "1903 6688 1230 15",
        holder: "NGUYEN VAN HUNG",
        cases: 40,
    },
    Mule {
        bank: "MB",
        account: "0368 8899 1102",
        holder: "TRAN THI THU",
        cases: 32,
    },
    Mule {
        bank: "VPB",
        account: "2468 1357 9900",
        holder: "LE QUOC BAO",
        cases: 25,
    },
    Mule {
        bank: "ACB",
        account: "7799 2211 3456",
        holder: "PHAM MINH TUAN",
        cases: 20,
    },
    Mule {
        bank: "STB",
        account: "0601 2345 6789",
        holder: "HOANG THI NGA",
        cases: 16,
    },
    Mule {
        bank: "BIDV",
        account: "3141 0000 2718",
        holder: "VO VAN KHOI",
        cases: 12,
    },
    Mule {
        bank: "VCB",
        account: "1017 7733 5599",
        holder: "DANG THI HUE",
        cases: 9,
    },
    Mule {
        bank: "TPB",
        account: "0000 8866 2024",
        holder: "BUI VAN TAI",
        cases: 7,
    },
    Mule {
        bank: "SHB",
        account: "1020 3040 5060",
        holder: "DO THI MAI",
        cases: 6,
    },
    Mule {
        bank: "ICB",
        account: "1088 6600 4422",
        holder: "NGO VAN PHAT",
        cases: 5,
    },
];

/// Where a report's money went.
pub(super) enum To {
    Mule(usize),
    /// (bank, account, holder) seen nowhere else.
    Own(&'static str, &'static str, &'static str),
}

/// A file the reporter attaches.
pub(super) enum Attach {
    /// A screenshot of the conversation.
    Chat(&'static str),
    /// The statement of their own account, printed from the banking app.
    Statement(&'static str),
}

/// One public report.
pub(super) struct Sample {
    pub kind: SubmissionKind,
    pub lang: Lang,
    /// Empty: an anonymous report.
    pub name: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub province: &'static str,
    pub ward: &'static str,
    /// The category's code.
    pub category: &'static str,
    pub contact: &'static str,
    pub summary: &'static str,
    pub narrative: &'static str,
    /// When it was sent, before now.
    pub minutes_ago: i64,
    /// When it happened, before it was sent.
    pub days_before: i64,
    /// (amount in đồng, where it went).
    pub money: &'static [(i64, To)],
    /// (kind, value as typed, qualifier).
    pub ids: &'static [(&'static str, &'static str, &'static str)],
    /// Fields of the incident and breach forms, `on_behalf`, `victim_name`…
    /// `"@occurred"` is replaced by the time it happened.
    pub fields: &'static [(&'static str, &'static str)],
    pub file: Option<Attach>,
}

const NO_MONEY: &[(i64, To)] = &[];

pub(super) const SAMPLES: &[Sample] = &[
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Trần Thị Bích Ngọc",
        phone: "0905 112 233",
        email: "bichngoc.tran@example.com",
        province: "da-nang",
        ward: "Hải Châu",
        category: "fraud_impersonation",
        contact: "phone_call",
        summary: "Bị giả danh công an yêu cầu chuyển tiền để “xác minh”",
        narrative: "Sáng hôm qua tôi nhận cuộc gọi từ số 070 000 0000, người gọi xưng là cán bộ Công an quận, nói tài khoản của tôi liên quan đến một đường dây rửa tiền và yêu cầu chuyển toàn bộ tiền tiết kiệm vào “tài khoản tạm giữ” để xác minh, hứa trả lại trong 24 giờ. Tôi đã chuyển hai lần, sau đó không liên lạc được nữa.",
        minutes_ago: 35,
        days_before: 1,
        money: &[(45_000_000, To::Mule(0)), (20_000_000, To::Mule(0))],
        ids: &[("phone", "070 000 0000", "")],
        fields: &[],
        file: Some(Attach::Chat("anh-chup-lich-su-cuoc-goi.png")),
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Lê Văn Khang",
        phone: "0935 221 908",
        email: "",
        province: "da-nang",
        ward: "Sơn Trà",
        category: "fraud_jobs",
        contact: "telegram",
        summary: "Làm nhiệm vụ online trên Telegram, bị giữ tiền không rút được",
        narrative: "Tôi được mời làm cộng tác viên “thả tim” sản phẩm, ban đầu được trả 50.000 đồng mỗi nhiệm vụ. Sau đó nhóm Telegram yêu cầu nạp tiền để nhận “nhiệm vụ VIP” hoa hồng 30%. Tôi nạp ba lần, khi muốn rút thì bị báo sai thao tác và phải nạp thêm để mở khóa.",
        minutes_ago: 80,
        days_before: 2,
        money: &[(2_000_000, To::Mule(1)), (8_500_000, To::Mule(1)), (15_000_000, To::Mule(1))],
        ids: &[("social", "t.me/hotro_nhiemvu24h", "")],
        fields: &[],
        file: Some(Attach::Chat("nhom-telegram-nhiem-vu.png")),
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Phạm Thị Hồng Nhung",
        phone: "0914 556 778",
        email: "hongnhung.pham@example.com",
        province: "da-nang",
        ward: "Thanh Khê",
        category: "fraud_investment",
        contact: "zalo",
        summary: "Nhóm Zalo “chuyên gia chứng khoán” dụ nạp tiền vào sàn đầu tư giả",
        narrative: "Tôi được thêm vào nhóm Zalo có người tự xưng chuyên gia phân tích, hướng dẫn mở tài khoản trên ứng dụng đầu tư. Số dư trên ứng dụng tăng nhanh nhưng khi rút tiền thì bị yêu cầu đóng “thuế thu nhập” 20%. Tôi đã nạp tổng cộng 150 triệu đồng vào tài khoản do “chăm sóc khách hàng” cung cấp.",
        minutes_ago: 190,
        days_before: 12,
        money: &[(100_000_000, To::Mule(2)), (50_000_000, To::Mule(2))],
        ids: &[("url", "https://vn-chungkhoan-pro.example/app", "")],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Nguyễn Hoàng Nam",
        phone: "0376 889 012",
        email: "hoangnam.ng@example.com",
        province: "quang-ngai",
        ward: "",
        category: "fraud_shopping",
        contact: "facebook",
        summary: "Mua điện thoại trên Facebook, đã chuyển tiền nhưng không nhận được hàng",
        narrative: "Tôi đặt mua một điện thoại qua trang Facebook “Táo Xanh Store”, người bán yêu cầu chuyển khoản trước toàn bộ để được giảm giá. Sau khi chuyển tiền, trang chặn tôi và không giao hàng.",
        minutes_ago: 300,
        days_before: 4,
        money: &[(8_500_000, To::Own("VCB", "0071 0006 43219", "TRAN VAN LONG"))],
        ids: &[("social", "facebook.com/taoxanhstore.dn", "")],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Võ Thị Thanh Hà",
        phone: "0983 404 515",
        email: "thanhha.vo@example.com",
        province: "da-nang",
        ward: "Ngũ Hành Sơn",
        category: "account_takeover",
        contact: "facebook",
        summary: "Bị chiếm tài khoản Facebook, kẻ gian nhắn tin vay tiền bạn bè",
        narrative: "Tài khoản Facebook của tôi bị đăng nhập từ nơi khác sau khi tôi bấm vào đường link “bình chọn cuộc thi”. Kẻ gian dùng tài khoản nhắn tin cho bạn bè và người thân mượn tiền gấp, ba người đã chuyển tiền vào tài khoản dưới đây.",
        minutes_ago: 420,
        days_before: 1,
        money: &[(5_000_000, To::Mule(3)), (3_000_000, To::Mule(3)), (2_000_000, To::Mule(3))],
        ids: &[("url", "http://binhchon-giaithuong.example/vote", "")],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Đặng Minh Quân",
        phone: "0868 120 334",
        email: "minhquan.dang@example.com",
        province: "da-nang",
        ward: "Liên Chiểu",
        category: "phishing",
        contact: "sms",
        summary: "Tin nhắn mạo danh ngân hàng, nhập mã OTP trên trang giả và bị rút tiền",
        narrative: "Tôi nhận tin nhắn hiển thị tên ngân hàng báo tài khoản sắp bị khóa, kèm đường link cập nhật thông tin. Tôi đăng nhập và nhập mã OTP trên trang đó, vài phút sau tài khoản bị chuyển đi 72 triệu đồng sang tài khoản lạ.",
        minutes_ago: 540,
        days_before: 0,
        money: &[(72_000_000, To::Mule(4))],
        ids: &[("url", "https://vietcombank-capnhat.example/dang-nhap", "")],
        fields: &[],
        file: Some(Attach::Chat("tin-nhan-gia-mao-ngan-hang.png")),
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Huỳnh Thị Lan",
        phone: "0905 778 990",
        email: "",
        province: "da-nang",
        ward: "Cẩm Lệ",
        category: "fraud_relatives",
        contact: "zalo",
        summary: "Cuộc gọi video giả con trai đang du học, xin tiền đóng học phí",
        narrative: "Tôi nhận cuộc gọi video qua Zalo từ tài khoản mang tên và ảnh con trai tôi đang du học, hình ảnh mờ và chỉ vài giây, sau đó nhắn tin nói cần gấp tiền đóng học phí và nhờ chuyển vào tài khoản của “bạn cùng phòng”. Khi gọi lại cho con bằng số cũ mới biết con không nhắn.",
        minutes_ago: 720,
        days_before: 0,
        money: &[(30_000_000, To::Mule(5))],
        ids: &[("social", "zalo 0797 123 456", "")],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Bùi Văn Toàn",
        phone: "0772 300 411",
        email: "vantoan.bui@example.com",
        province: "hue",
        ward: "",
        category: "fraud_recovery",
        contact: "facebook",
        summary: "Dịch vụ “lấy lại tiền bị lừa” thu phí rồi chặn liên lạc",
        narrative: "Sau khi bị lừa đầu tư, tôi tìm thấy trang Facebook tự giới thiệu là “văn phòng luật sư hỗ trợ thu hồi tiền”, có đăng hình giấy tờ của cơ quan công an. Họ yêu cầu tôi đóng phí hồ sơ và phí “giải ngân”, sau hai lần chuyển tiền thì chặn liên lạc.",
        minutes_ago: 840,
        days_before: 6,
        money: &[(4_000_000, To::Mule(0)), (8_000_000, To::Mule(0))],
        ids: &[],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Ngô Thị Diễm",
        phone: "0919 246 135",
        email: "diem.ngo@example.com",
        province: "da-nang",
        ward: "Hòa Vang",
        category: "fraud_romance",
        contact: "facebook",
        summary: "Quen bạn trai nước ngoài qua mạng, bị yêu cầu đóng phí nhận quà",
        narrative: "Tôi làm quen một người tự xưng là kỹ sư người Anh qua Facebook. Sau hai tháng trò chuyện, anh ta nói gửi quà gồm trang sức và tiền mặt về Việt Nam; sau đó có người xưng là nhân viên hải quan sân bay gọi yêu cầu đóng phí thông quan và phí chống rửa tiền.",
        minutes_ago: 1080,
        days_before: 10,
        money: &[
            (25_000_000, To::Own("MB", "0903 2468 0011", "NGUYEN THI THANH")),
            (18_000_000, To::Own("MB", "0903 2468 0011", "NGUYEN THI THANH")),
        ],
        ids: &[("phone", "0567 890 123", "")],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Trương Quốc Huy",
        phone: "0935 667 889",
        email: "quochuy.truong@example.com",
        province: "da-nang",
        ward: "Hải Châu",
        category: "gambling",
        contact: "website",
        summary: "Phản ánh ứng dụng cá độ bóng đá quảng cáo trên mạng xã hội",
        narrative: "Tôi phát hiện nhiều trang trên mạng xã hội quảng cáo ứng dụng cá cược bóng đá, có nhân viên nhắn tin mời nạp tiền và hướng dẫn chuyển khoản vào tài khoản cá nhân. Một số học sinh trong khu phố đã tham gia. Tôi gửi kèm địa chỉ trang web và số tài khoản để cơ quan chức năng xem xét.",
        minutes_ago: 1200,
        days_before: 3,
        money: NO_MONEY,
        ids: &[
            ("url", "https://keo-bongda-88.example", ""),
            ("bank_account", "1903 6688 1230 15", "Techcombank"),
        ],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Phan Thị Mỹ Duyên",
        phone: "0702 345 678",
        email: "myduyen.phan@example.com",
        province: "da-nang",
        ward: "Sơn Trà",
        category: "fraud_impersonation",
        contact: "phone_call",
        summary: "Giả danh nhân viên điện lực báo cắt điện, yêu cầu thanh toán tiền nợ",
        narrative: "Một người gọi điện xưng là nhân viên điện lực, nói gia đình tôi nợ tiền điện hai tháng và sẽ bị cắt điện trong ngày, yêu cầu thanh toán ngay qua tài khoản cá nhân để “kịp hủy lệnh cắt”. Tôi đã chuyển tiền rồi gọi lên tổng đài điện lực thì được biết không có khoản nợ nào.",
        minutes_ago: 1380,
        days_before: 0,
        money: &[(5_200_000, To::Mule(6))],
        ids: &[],
        fields: &[],
        file: Some(Attach::Chat("anh-chup-chuyen-khoan.png")),
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "",
        phone: "",
        email: "",
        province: "da-nang",
        ward: "",
        category: "disinformation",
        contact: "facebook",
        summary: "Trang mạng đăng tin sai sự thật về dịch bệnh tại trường học",
        narrative: "Một trang Facebook đăng bài nói nhiều học sinh của một trường tiểu học trên địa bàn nhập viện vì dịch bệnh lạ và nhà trường che giấu, kèm hình ảnh cắt ghép. Bài viết được chia sẻ rất nhiều, gây hoang mang cho phụ huynh.",
        minutes_ago: 1000,
        days_before: 1,
        money: NO_MONEY,
        ids: &[("social", "facebook.com/tintuc.nong.danang24h", "")],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Lâm Văn Đức",
        phone: "0988 135 792",
        email: "vanduc.lam@example.com",
        province: "quang-ngai",
        ward: "",
        category: "fraud_other",
        contact: "phone_call",
        summary: "Mẹ tôi bị dụ cài ứng dụng “dịch vụ công” giả, mất tiền trong tài khoản",
        narrative: "Mẹ tôi (72 tuổi) được một người xưng là cán bộ phường gọi điện hướng dẫn cập nhật thông tin định danh điện tử, gửi đường link tải ứng dụng về điện thoại. Sau khi cài và cấp quyền, tài khoản ngân hàng của mẹ tôi bị chuyển đi hai lần, tổng cộng 200 triệu đồng. Tôi trình báo thay mẹ và gửi kèm sao kê ngân hàng.",
        minutes_ago: 1110,
        days_before: 3,
        money: &[(120_000_000, To::Mule(2)), (80_000_000, To::Mule(7))],
        ids: &[("url", "http://dichvucong-capnhat.example/app.apk", "")],
        fields: &[("on_behalf", "other"), ("victim_name", "Lâm Thị Sen")],
        file: Some(Attach::Statement("sao-ke-ngan-hang.pdf")),
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Nguyễn Thị Thu Trang",
        phone: "0763 212 454",
        email: "thutrang.nguyen@example.com",
        province: "da-nang",
        ward: "Thanh Khê",
        category: "fraud_jobs",
        contact: "zalo",
        summary: "Tuyển cộng tác viên bán hàng online, phải nạp tiền đơn hàng trước",
        narrative: "Tôi được nhắn tin mời làm cộng tác viên cho sàn thương mại điện tử, mỗi đơn hàng “ảo” được hoàn tiền cộng 10% hoa hồng. Ba đơn đầu được trả tiền đầy đủ, đến đơn thứ tư giá trị lớn thì họ báo hệ thống lỗi và đòi nạp thêm mới hoàn tiền.",
        minutes_ago: 1260,
        days_before: 2,
        money: &[(1_500_000, To::Mule(1)), (6_000_000, To::Mule(1)), (22_000_000, To::Mule(1))],
        ids: &[("social", "zalo 0797 123 456", "")],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::En,
        name: "Daniel Whitmore",
        phone: "+84 909 876 543",
        email: "d.whitmore@example.com",
        province: "da-nang",
        ward: "Ngũ Hành Sơn",
        category: "fraud_shopping",
        contact: "facebook",
        summary: "Paid a deposit for a motorbike rental advertised on Facebook, no bike and no refund",
        narrative: "I found a motorbike rental page on Facebook offering a monthly rate. The owner asked for a deposit by bank transfer before delivery to my hotel. After I paid, the page stopped answering and the phone number is switched off.",
        minutes_ago: 1500,
        days_before: 2,
        money: &[(3_500_000, To::Own("TCB", "1903 4455 6677 88", "LE VAN THANH"))],
        ids: &[("phone", "0389 777 123", "")],
        fields: &[],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "Dương Thị Kim Anh",
        phone: "0934 818 272",
        email: "kimanh.duong@example.com",
        province: "da-nang",
        ward: "Hải Châu",
        category: "account_takeover",
        contact: "sms",
        summary: "Cài ứng dụng giả mạo theo tin nhắn, bị chiếm quyền ứng dụng ngân hàng",
        narrative: "Tôi nhận tin nhắn mời cài ứng dụng để nhận hoàn thuế thu nhập cá nhân. Sau khi cài đặt, điện thoại bị điều khiển từ xa, ứng dụng ngân hàng tự động chuyển 95 triệu đồng đi lúc nửa đêm. Ngân hàng đã tạm khóa tài khoản nhận theo đề nghị của tôi.",
        minutes_ago: 1620,
        days_before: 1,
        money: &[(95_000_000, To::Mule(8))],
        ids: &[("url", "https://hoanthue-canhan.example/tai-app", "")],
        fields: &[],
        file: Some(Attach::Chat("man-hinh-ung-dung-gia.png")),
    },
    Sample {
        kind: SubmissionKind::Incident,
        lang: Lang::Vi,
        name: "Nguyễn Quang Vinh",
        phone: "0905 321 654",
        email: "vinh.nq@thpt-phanchautrinh.example",
        province: "da-nang",
        ward: "Hải Châu",
        category: "malware",
        contact: "",
        summary: "Máy chủ lưu trữ hồ sơ học sinh bị mã hóa dữ liệu đòi tiền chuộc",
        narrative: "Sáng nay nhân viên phát hiện toàn bộ tệp trên máy chủ lưu trữ hồ sơ học sinh bị đổi đuôi và xuất hiện tệp yêu cầu trả tiền chuộc bằng tiền mã hóa. Nhà trường đã ngắt máy chủ khỏi mạng, chưa trả tiền và đề nghị hỗ trợ điều tra.",
        minutes_ago: 240,
        days_before: 0,
        money: NO_MONEY,
        ids: &[],
        fields: &[
            ("reporter_kind", "organisation"),
            ("org_name", "Trường THPT Phan Châu Trinh"),
            ("affected_system", "Máy chủ lưu trữ hồ sơ học sinh (Windows Server 2016)"),
            ("security_level", "2"),
            ("detected_at", "@occurred"),
            ("detection_method", "Nhân viên phát hiện khi mở tệp"),
            ("incident_state", "not_handled"),
            ("ips_domains", "185.220.101.45"),
            ("measures", "Ngắt kết nối mạng, giữ nguyên hiện trạng máy chủ"),
            ("support_requested", "Hỗ trợ điều tra, thu thập chứng cứ"),
        ],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Incident,
        lang: Lang::Vi,
        name: "Trần Minh Khoa",
        phone: "0913 909 101",
        email: "khoa.tran@bienxanh-travel.example",
        province: "da-nang",
        ward: "Sơn Trà",
        category: "deface",
        contact: "",
        summary: "Trang web công ty bị thay đổi giao diện, chèn quảng cáo cờ bạc",
        narrative: "Khách hàng báo trang chủ website của công ty hiển thị nội dung quảng cáo cá cược và đường dẫn lạ. Kiểm tra thấy có tài khoản quản trị mới được tạo lúc 2 giờ sáng. Công ty đã khôi phục bản sao lưu nhưng chưa xác định được lỗ hổng.",
        minutes_ago: 960,
        days_before: 0,
        money: NO_MONEY,
        ids: &[("url", "https://keo-bongda-88.example", "")],
        fields: &[
            ("reporter_kind", "organisation"),
            ("org_name", "Công ty TNHH Du lịch Biển Xanh"),
            ("affected_system", "Website bienxanh-travel.example (WordPress)"),
            ("detected_at", "@occurred"),
            ("detection_method", "Khách hàng phản ánh"),
            ("incident_state", "handled"),
            ("ips_domains", "bienxanh-travel.example"),
            ("measures", "Khôi phục bản sao lưu, xóa tài khoản quản trị lạ"),
        ],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Breach,
        lang: Lang::Vi,
        name: "Lê Thị Phương",
        phone: "0935 404 505",
        email: "phuong.le@songhan-retail.example",
        province: "da-nang",
        ward: "Hải Châu",
        category: "data_leak",
        contact: "",
        summary: "Dữ liệu khách hàng của công ty bị rao bán trên diễn đàn",
        narrative: "Bộ phận an ninh phát hiện một bài đăng trên diễn đàn rao bán tệp dữ liệu khoảng 48.000 khách hàng của công ty, mẫu dữ liệu đăng kèm trùng với cơ sở dữ liệu bán hàng trực tuyến. Công ty đề nghị cơ quan công an hỗ trợ xác minh nguồn lộ lọt.",
        minutes_ago: 1320,
        days_before: 1,
        money: NO_MONEY,
        ids: &[],
        fields: &[
            ("reporter_kind", "organisation"),
            ("controller", "Công ty CP Bán lẻ Sông Hàn"),
            ("data_types", "Họ tên, số điện thoại, địa chỉ giao hàng, lịch sử mua hàng"),
            ("subjects_count", "48000"),
            ("discovered_at", "@occurred"),
            ("measures", "Đổi mật khẩu cơ sở dữ liệu, rà soát tài khoản quản trị, thông báo khách hàng"),
        ],
        file: None,
    },
    Sample {
        kind: SubmissionKind::Crime,
        lang: Lang::Vi,
        name: "",
        phone: "",
        email: "",
        province: "da-nang",
        ward: "",
        category: "fraud_investment",
        contact: "telegram",
        summary: "Ứng dụng đầu tư tiền ảo hứa lãi 3% mỗi ngày, không rút được tiền",
        narrative: "Tôi không muốn nêu tên. Tôi và một số đồng nghiệp được giới thiệu đầu tư vào ứng dụng tiền ảo hứa lãi 3% mỗi ngày. Sau khi nạp tiền nhiều lần qua tài khoản ngân hàng của “đại lý”, ứng dụng báo tài khoản bị đóng băng và yêu cầu nạp thêm phí xác minh.",
        minutes_ago: 1750,
        days_before: 20,
        money: &[(60_000_000, To::Mule(9))],
        ids: &[("url", "https://coinvn-profit.example", "")],
        fields: &[],
        file: None,
    },
];

/// (bank, account as typed, holder) of a money row.
pub(super) fn account_of(to: &To) -> (&'static str, &'static str, &'static str) {
    match to {
        To::Mule(i) => {
            let m = &MULES[*i % MULES.len()];
            (m.bank, m.account, m.holder)
        }
        To::Own(bank, account, holder) => (bank, account, holder),
    }
}

/// The times of a report: when it happened and when each transfer was made.
pub(super) fn occurred(s: &Sample, received: DateTime<Utc>) -> DateTime<Utc> {
    received - Duration::days(s.days_before) - Duration::minutes(150)
}

/// The form as the browser would post it (without the files, which go
/// alongside).
pub(super) fn form(
    s: &Sample,
    category_id: i32,
    received: DateTime<Utc>,
    tz: Tz,
    form_ts: &str,
) -> FormInput {
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
    let at = occurred(s, received);
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            pairs.push((k.to_owned(), v.to_owned()));
        }
    };
    if s.name.is_empty() {
        put("anonymous", "1");
    } else {
        put("reporter_name", s.name);
    }
    if !s.fields.iter().any(|(k, _)| *k == "on_behalf") {
        put("on_behalf", "self");
    }
    put("reporter_phone", s.phone);
    put("reporter_email", s.email);
    put("province", s.province);
    put("ward", s.ward);
    put("category_id", &category_id.to_string());
    put("occurred_at", &local(at));
    put("first_contact", s.contact);
    put("summary", s.summary);
    put("narrative", s.narrative);
    for (i, (amount, to)) in s.money.iter().enumerate() {
        let (bank, account, holder) = account_of(to);
        let when = at + Duration::minutes(25 * (i as i64 + 1));
        put(&format!("tx-{i}-time"), &local(when));
        put(&format!("tx-{i}-amount"), &fmt_thousands(*amount));
        put(&format!("tx-{i}-method"), "bank_transfer");
        put(&format!("tx-{i}-to_bank"), bank);
        put(&format!("tx-{i}-to_account"), account);
        put(&format!("tx-{i}-to_holder"), holder);
    }
    for (i, (kind, value, qualifier)) in s.ids.iter().enumerate() {
        put(&format!("id-{i}-kind"), kind);
        put(&format!("id-{i}-value"), value);
        put(&format!("id-{i}-qualifier"), qualifier);
    }
    for (k, v) in s.fields {
        if *v == "@occurred" {
            put(k, &local(at));
        } else {
            put(k, v);
        }
    }
    put("consent", "1");
    put("false_report_ack", "1");
    put("form_ts", form_ts);
    FormInput { pairs }
}

/// The statement rows (local time, amount) of a report's transfers.
pub(super) fn transfers(s: &Sample, received: DateTime<Utc>, tz: Tz) -> Vec<(String, i64)> {
    let at = occurred(s, received);
    s.money
        .iter()
        .enumerate()
        .map(|(i, (amount, _))| {
            let when = at + Duration::minutes(25 * (i as i64 + 1));
            (
                when.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string(),
                *amount,
            )
        })
        .collect()
}
