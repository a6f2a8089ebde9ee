//! Legal citations printed on official documents (`docs/domain.md` §11). A
//! document cites the law that applied on the day the report was received, so
//! a case received before an amendment keeps its old basis when it is
//! printed again later.

use chrono::NaiveDate;

/// The day Law 99/2025/QH15, amending the Criminal Procedure Code 2015, took
/// effect.
const LAW_99_2025_IN_FORCE: (i32, u32, u32) = (2025, 7, 1);

/// The legal basis for receiving and handling a crime report received on
/// `received` (a local date), as (Vietnamese, English). The articles are the
/// same before and after the amendment; the code they belong to is cited as
/// amended from the day the amendment took effect.
pub fn crime_report_basis(received: NaiveDate) -> (&'static str, &'static str) {
    let (y, m, d) = LAW_99_2025_IN_FORCE;
    let amended = NaiveDate::from_ymd_opt(y, m, d).is_some_and(|from| received >= from);
    if amended {
        (
            "Bộ luật Tố tụng hình sự 2015 (sửa đổi, bổ sung bởi Luật số 99/2025/QH15), các điều 144–147",
            "Criminal Procedure Code 2015 as amended by Law 99/2025/QH15, arts. 144–147",
        )
    } else {
        (
            "Bộ luật Tố tụng hình sự 2015, các điều 144–147",
            "Criminal Procedure Code 2015, arts. 144–147",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn the_amendment_applies_from_1_july_2025() {
        let before = crime_report_basis(day(2025, 6, 30));
        assert_eq!(before.0, "Bộ luật Tố tụng hình sự 2015, các điều 144–147");
        assert_eq!(before.1, "Criminal Procedure Code 2015, arts. 144–147");
        let on = crime_report_basis(day(2025, 7, 1));
        assert_eq!(
            on.0,
            "Bộ luật Tố tụng hình sự 2015 (sửa đổi, bổ sung bởi Luật số 99/2025/QH15), các điều 144–147"
        );
        assert_eq!(
            on.1,
            "Criminal Procedure Code 2015 as amended by Law 99/2025/QH15, arts. 144–147"
        );
        assert_eq!(crime_report_basis(day(2026, 11, 20)), on);
        assert_eq!(crime_report_basis(day(2018, 1, 1)), before);
    }
}
