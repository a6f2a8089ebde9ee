//! Police units (`docs/domain.md` §10): what a unit is, and the name it went by
//! on a date.

use chrono::NaiveDate;

crate::code_enum!(
    /// The kinds of unit since the 2025 reorganisation (two levels: the
    /// ministry and provinces/cities, with commune and ward police below).
    UnitKind, "unit-kind" {
        MinistryDepartment => "ministry_department",
        ProvincialPolice => "provincial_police",
        CyberDivision => "cyber_division",
        CommunePolice => "commune_police",
    }
);

/// One name of a unit, from a date on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameFrom {
    pub valid_from: NaiveDate,
    pub name_vi: String,
    pub name_en: String,
}

/// The name in force on `day`: the latest one that starts on or before it
/// (the earliest, for a day before every recorded name).
pub fn name_on(names: &[NameFrom], day: NaiveDate) -> Option<&NameFrom> {
    names
        .iter()
        .filter(|n| n.valid_from <= day)
        .max_by_key(|n| n.valid_from)
        .or_else(|| names.iter().min_by_key(|n| n.valid_from))
}

/// A unit code: capitals, digits, `-` and `_`, 1 to 32, starting with a
/// capital or digit (`PA05-DNG`, `CAX-HOAXUAN`).
pub fn valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    code.len() <= 32
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A reference prefix: 1 to 12 capitals or digits (`PA05`).
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 12
        && prefix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_record_prints_the_name_of_its_date() {
        let names = vec![
            NameFrom {
                valid_from: d("1900-01-01"),
                name_vi: "Công an tỉnh Quảng Nam".into(),
                name_en: "Quang Nam Provincial Police".into(),
            },
            NameFrom {
                valid_from: d("2025-07-01"),
                name_vi: "Công an thành phố Đà Nẵng".into(),
                name_en: "Da Nang City Police".into(),
            },
        ];
        assert_eq!(
            name_on(&names, d("2025-06-30")).unwrap().name_vi,
            "Công an tỉnh Quảng Nam"
        );
        assert_eq!(
            name_on(&names, d("2025-07-01")).unwrap().name_vi,
            "Công an thành phố Đà Nẵng"
        );
        assert_eq!(
            name_on(&names, d("1800-01-01")).unwrap().name_vi,
            "Công an tỉnh Quảng Nam"
        );
        assert!(name_on(&[], d("2025-07-01")).is_none());
    }

    #[test]
    fn codes_and_prefixes() {
        assert!(valid_code("PA05-DNG"));
        assert!(valid_code("CAX_HOAXUAN"));
        assert!(!valid_code("-PA05"));
        assert!(!valid_code("pa05"));
        assert!(!valid_code(""));
        assert!(valid_prefix("PA05"));
        assert!(!valid_prefix("PA-05"));
        assert!(!valid_prefix("ABCDEFGHIJKLM"));
    }
}

/// A ward or commune as typed, as routing compares it: folded, without the
/// word for its kind ("Phường Hòa Xuân", "hoa xuan" and "P. Hòa Xuân" match).
pub fn ward_key(written: &str) -> String {
    let folded = crate::domain::text::fold_key(written);
    let words: Vec<&str> = folded.split(' ').collect();
    let skip = match words.as_slice() {
        ["dac", "khu", ..] | ["thi", "tran", ..] => 2,
        ["phuong" | "xa" | "p." | "x." | "p" | "x", ..] => 1,
        _ => 0,
    };
    words[skip.min(words.len())..].join(" ")
}

#[cfg(test)]
mod ward_tests {
    use super::ward_key;

    #[test]
    fn wards_match_however_written() {
        for w in [
            "Phường Hòa Xuân",
            "hoa xuan",
            "P. Hòa Xuân",
            "  phường  HÒA XUÂN ",
        ] {
            assert_eq!(ward_key(w), "hoa xuan", "{w}");
        }
        assert_eq!(ward_key("Đặc khu Hoàng Sa"), "hoang sa");
        assert_eq!(ward_key(""), "");
    }
}
