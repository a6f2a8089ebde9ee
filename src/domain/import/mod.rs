//! The handover import's words (`docs/domain.md` §14): the canonical fields
//! with their headers in both languages, the mapping file that names the
//! columns of a register written otherwise, and the reading of a register
//! (CSV in the encodings Windows writes, .xlsx streamed, .xls, .ods) as rows
//! of cells. Nothing here knows the database; the service resolves codes,
//! categories, banks and people against it.

pub mod cells;
pub mod mapping;
pub mod read;

use crate::domain::text::fold_key;

/// One field of the canonical register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    ExternalId,
    CaseType,
    ReceivedAt,
    Category,
    Title,
    Description,
    Channel,
    ReporterKind,
    ReporterName,
    ReporterPhone,
    ReporterEmail,
    ReporterAddress,
    AmountLost,
    ReceivingBank,
    ReceivingAccount,
    SuspectPhone,
    SuspectUrl,
    SuspectOther,
    Status,
    Outcome,
    Assignee,
    ClosedAt,
    Notes,
}

/// (field, code, Vietnamese header, English header), in template order.
const FIELDS: &[(Field, &str, &str, &str)] = &[
    (
        Field::ExternalId,
        "external_id",
        "Số hồ sơ cũ",
        "External ID",
    ),
    (Field::CaseType, "case_type", "Loại vụ việc", "Case type"),
    (
        Field::ReceivedAt,
        "received_at",
        "Ngày tiếp nhận",
        "Received",
    ),
    (Field::Category, "category", "Lĩnh vực", "Category"),
    (Field::Title, "title", "Tiêu đề", "Title"),
    (Field::Description, "description", "Nội dung", "Description"),
    (Field::Channel, "channel", "Hình thức tiếp nhận", "Channel"),
    (
        Field::ReporterKind,
        "reporter_kind",
        "Loại người báo",
        "Reporter kind",
    ),
    (
        Field::ReporterName,
        "reporter_name",
        "Họ tên người báo",
        "Reporter name",
    ),
    (
        Field::ReporterPhone,
        "reporter_phone",
        "Điện thoại người báo",
        "Reporter phone",
    ),
    (
        Field::ReporterEmail,
        "reporter_email",
        "Thư điện tử người báo",
        "Reporter e-mail",
    ),
    (
        Field::ReporterAddress,
        "reporter_address",
        "Địa chỉ người báo",
        "Reporter address",
    ),
    (
        Field::AmountLost,
        "amount_lost",
        "Số tiền thiệt hại",
        "Amount lost",
    ),
    (
        Field::ReceivingBank,
        "receiving_bank",
        "Ngân hàng nhận tiền",
        "Receiving bank",
    ),
    (
        Field::ReceivingAccount,
        "receiving_account",
        "Số tài khoản nhận tiền",
        "Receiving account",
    ),
    (
        Field::SuspectPhone,
        "suspect_phone",
        "Điện thoại đối tượng",
        "Suspect phone",
    ),
    (
        Field::SuspectUrl,
        "suspect_url",
        "Trang web đối tượng",
        "Suspect URL",
    ),
    (
        Field::SuspectOther,
        "suspect_other",
        "Dấu hiệu khác của đối tượng",
        "Other suspect identifiers",
    ),
    (Field::Status, "status", "Trạng thái", "Status"),
    (Field::Outcome, "outcome", "Kết quả xử lý", "Outcome"),
    (
        Field::Assignee,
        "assignee",
        "Cán bộ thụ lý (e-mail)",
        "Assignee (e-mail)",
    ),
    (Field::ClosedAt, "closed_at", "Ngày kết thúc", "Closed"),
    (Field::Notes, "notes", "Ghi chú", "Notes"),
];

impl Field {
    pub fn all() -> impl Iterator<Item = Field> {
        FIELDS.iter().map(|f| f.0)
    }

    fn row(self) -> &'static (Field, &'static str, &'static str, &'static str) {
        FIELDS.iter().find(|f| f.0 == self).unwrap_or(&FIELDS[0])
    }

    pub fn code(self) -> &'static str {
        self.row().1
    }

    /// The canonical header in the template's language.
    pub fn header(self, vietnamese: bool) -> &'static str {
        let r = self.row();
        if vietnamese {
            r.2
        } else {
            r.3
        }
    }

    /// The field a mapping names by its code.
    pub fn from_code(code: &str) -> Option<Field> {
        FIELDS.iter().find(|f| f.1 == code.trim()).map(|f| f.0)
    }

    /// The field whose canonical header (either language) or code this
    /// header is, ignoring case, diacritics and spacing.
    pub fn from_header(header: &str) -> Option<Field> {
        let key = fold_key(header);
        if key.is_empty() {
            return None;
        }
        FIELDS
            .iter()
            .find(|(_, code, vi, en)| key == *code || key == fold_key(vi) || key == fold_key(en))
            .map(|f| f.0)
    }
}

/// Something wrong with a file, a mapping or a row: a catalogue key and its
/// arguments, shown in the reader's language.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Problem {
    pub fn new(key: &'static str) -> Problem {
        Problem {
            key,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Problem {
        self.args.push((name, value.into()));
        self
    }

    pub fn text(&self, lang: crate::i18n::Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::i18n::t_args(lang, self.key, &args)
    }
}

/// The canonical header row, as `cyberdesk import --template` prints it.
pub fn template_headers(vietnamese: bool) -> Vec<&'static str> {
    Field::all().map(|f| f.header(vietnamese)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_in_either_language_without_accents() {
        assert_eq!(
            Field::from_header("Ngày tiếp nhận"),
            Some(Field::ReceivedAt)
        );
        assert_eq!(
            Field::from_header("ngay tiep nhan"),
            Some(Field::ReceivedAt)
        );
        assert_eq!(Field::from_header(" RECEIVED "), Some(Field::ReceivedAt));
        assert_eq!(Field::from_header("amount_lost"), Some(Field::AmountLost));
        assert_eq!(Field::from_header("Số TT"), None);
        for f in Field::all() {
            assert_eq!(Field::from_header(f.header(true)), Some(f));
            assert_eq!(Field::from_header(f.header(false)), Some(f));
            assert_eq!(Field::from_code(f.code()), Some(f));
        }
    }
}
