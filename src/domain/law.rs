//! Legal bases (`docs/domain.md` §18): what the product cites, with the days
//! each instrument applied. Every reference shown or printed is read from the
//! `legal_bases` table through these rules; a case keeps the basis in force on
//! the day it was received, so an old case is printed with its old basis.

use chrono::NaiveDate;

use crate::domain::case::CaseType;
use crate::i18n::Lang;

crate::code_enum!(
    /// What a basis is cited for.
    Topic, "legal-topic" {
        CrimeReport => "crime_report",
        FalseReport => "false_report",
        SecurityIncident => "security_incident",
        DataBreach => "data_breach",
        PersonalData => "personal_data",
        ReportingPeriod => "reporting_period",
    }
);

/// The topic whose basis a case of this type cites (feedback cites none).
pub fn topic_of(case_type: CaseType) -> Option<Topic> {
    match case_type {
        CaseType::CrimeReport => Some(Topic::CrimeReport),
        CaseType::SecurityIncident => Some(Topic::SecurityIncident),
        CaseType::DataBreach => Some(Topic::DataBreach),
        CaseType::Feedback => None,
    }
}

/// `[from, to)`: in force from `from` up to the day before `to` (open while
/// `to` is unknown).
pub fn in_force(from: NaiveDate, to: Option<NaiveDate>, day: NaiveDate) -> bool {
    from <= day && to.is_none_or(|to| day < to)
}

/// Whether two `[from, to)` spans share a day (as the table's exclusion
/// constraint decides, so a form can say which basis is in the way).
pub fn overlaps(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    a.1.is_none_or(|a_to| b.0 < a_to) && b.1.is_none_or(|b_to| a.0 < b_to)
}

/// A citation as printed: the title and, when articles are cited, "điều 144"
/// or "arts. 144–147".
pub fn citation(lang: Lang, title: &str, article: &str) -> String {
    let article = article.trim();
    if article.is_empty() {
        return title.to_owned();
    }
    let several = article.contains(['–', '-', ',']);
    match (lang, several) {
        (Lang::Vi, false) => format!("{title}, điều {article}"),
        (Lang::Vi, true) => format!("{title}, các điều {article}"),
        (Lang::En, false) => format!("{title}, art. {article}"),
        (Lang::En, true) => format!("{title}, arts. {article}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn a_basis_applies_from_its_first_day_to_the_day_before_its_end() {
        let (from, to) = (day(2018, 1, 1), Some(day(2025, 7, 1)));
        assert!(!in_force(from, to, day(2017, 12, 31)));
        assert!(in_force(from, to, day(2018, 1, 1)));
        assert!(in_force(from, to, day(2025, 6, 30)));
        assert!(!in_force(from, to, day(2025, 7, 1)));
        assert!(in_force(day(2025, 7, 1), None, day(2099, 1, 1)));
    }

    #[test]
    fn spans_that_touch_do_not_overlap() {
        let old = (day(2018, 1, 1), Some(day(2025, 7, 1)));
        assert!(!overlaps(old, (day(2025, 7, 1), None)));
        assert!(overlaps(old, (day(2025, 6, 30), None)));
        assert!(overlaps((day(2020, 1, 1), None), (day(2030, 1, 1), None)));
        assert!(overlaps(old, (day(2019, 1, 1), Some(day(2019, 2, 1)))));
        assert!(!overlaps(old, (day(2010, 1, 1), Some(day(2018, 1, 1)))));
    }

    #[test]
    fn citations_name_one_article_or_several() {
        let t = "Bộ luật Tố tụng hình sự 2015";
        assert_eq!(
            citation(Lang::Vi, t, "144–147"),
            format!("{t}, các điều 144–147")
        );
        assert_eq!(citation(Lang::Vi, t, "144"), format!("{t}, điều 144"));
        assert_eq!(citation(Lang::En, "CPC", "144"), "CPC, art. 144");
        assert_eq!(citation(Lang::En, "CPC", "144–147"), "CPC, arts. 144–147");
        assert_eq!(
            citation(Lang::En, "Law 116/2025/QH15", " "),
            "Law 116/2025/QH15"
        );
    }
}
