//! A register's cells and how their values are read: dates written by hand
//! or stored by Excel as serial numbers, amounts in đồng, lists of
//! identifiers in one cell.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// One cell as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A date the spreadsheet typed as one (local time of the register).
    Date(NaiveDateTime),
}

impl Cell {
    /// The cell as text (numbers without a trailing ".0", dates as dd/mm/yyyy).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) if d.time() == chrono::NaiveTime::MIN => d.format("%d/%m/%Y").to_string(),
            Cell::Date(d) => d.format("%d/%m/%Y %H:%M").to_string(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// Excel's day 0 in the 1900 system (serial 1 = 1 January 1900, counting the
/// leap day 1900 never had, which is why day 0 is 30 December 1899).
fn excel_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// A serial date (days since Excel's epoch, the fraction the time of day).
/// Serials before 1990 or after 2100 are not dates a register holds.
fn from_serial(n: f64) -> Option<NaiveDateTime> {
    if !(32874.0..=73051.0).contains(&n) {
        return None;
    }
    let seconds = (n * 86_400.0).round() as i64;
    excel_epoch().checked_add_signed(Duration::seconds(seconds))
}

/// The formats people write dates in, day first as in Vietnam.
const WITH_TIME: &[&str] = &[
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %Hh%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    // dd/mm/yyyy then time is the norm; "HH:MM dd/mm/yyyy" is common in police registers.
    "%H:%M %d/%m/%Y",
    "%Hh%M %d/%m/%Y",
];
const DATE_ONLY: &[&str] = &["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"];

/// A local date-time from a cell: a spreadsheet date, an Excel serial number
/// (also when a CSV carries it as text), or dd/mm/yyyy with or without a time.
pub fn local_datetime(cell: &Cell) -> Option<NaiveDateTime> {
    match cell {
        Cell::Date(d) => Some(*d),
        Cell::Number(n) => from_serial(*n),
        Cell::Text(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<f64>() {
                return from_serial(n);
            }
            // "ngày 05/03/2024" and trailing periods are left by hand-typed registers.
            let s = s.trim_start_matches("ngày").trim().trim_end_matches('.');
            WITH_TIME
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .or_else(|| {
                    DATE_ONLY
                        .iter()
                        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                })
                .filter(|d| (1990..=2100).contains(&chrono::Datelike::year(d)))
        }
        Cell::Empty => None,
    }
}

/// The cell's date in the unit's time zone, as a UTC instant.
pub fn datetime(cell: &Cell, tz: Tz) -> Option<DateTime<Utc>> {
    let naive = local_datetime(cell)?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// An amount in whole đồng: a number, or text like "1.200.000", "1,200,000 đ",
/// "5000000 VND". Negative or fractional amounts are not amounts lost.
pub fn amount(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Number(n) if *n >= 0.0 && n.fract() == 0.0 && *n < 9e15 => Some(*n as i64),
        Cell::Text(s) => {
            let lower = s.trim().to_lowercase();
            let v = ["vnđ", "vnd", "đồng", "đ", "₫"]
                .iter()
                .fold(lower.as_str(), |v, unit| {
                    v.trim_end_matches(unit).trim_end()
                });
            crate::domain::value::parse_amount(v)
        }
        _ => None,
    }
}

/// The items of a cell listing several identifiers ("0901…; 0902…", one per
/// line). Spaces do not separate: phone numbers are written with them.
pub fn items(text: &str) -> Vec<String> {
    text.split([',', ';', '\n', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<String> {
        local_datetime(&Cell::Text(s.into())).map(|d| d.format("%Y-%m-%d %H:%M").to_string())
    }

    #[test]
    fn dates_day_first_with_or_without_time_and_serials() {
        assert_eq!(d("05/03/2024").as_deref(), Some("2024-03-05 00:00"));
        assert_eq!(d("5/3/2024 14:30").as_deref(), Some("2024-03-05 14:30"));
        assert_eq!(d("14h30 05/03/2024").as_deref(), Some("2024-03-05 14:30"));
        assert_eq!(d("2024-03-05").as_deref(), Some("2024-03-05 00:00"));
        // 45356 is 5 March 2024 in Excel; .75 is 18:00.
        assert_eq!(d("45356").as_deref(), Some("2024-03-05 00:00"));
        assert_eq!(
            local_datetime(&Cell::Number(45356.75))
                .map(|d| d.to_string())
                .as_deref(),
            Some("2024-03-05 18:00:00")
        );
        assert_eq!(d("31/02/2024"), None);
        assert_eq!(d("hôm qua"), None);
        assert_eq!(d("12"), None);
        assert_eq!(d("05/03/1890"), None);
    }

    #[test]
    fn amounts_with_separators_and_units() {
        assert_eq!(amount(&Cell::Text("1.200.000".into())), Some(1_200_000));
        assert_eq!(amount(&Cell::Text("1,200,000 đ".into())), Some(1_200_000));
        assert_eq!(amount(&Cell::Text("5000000 VND".into())), Some(5_000_000));
        assert_eq!(amount(&Cell::Number(250000.0)), Some(250_000));
        assert_eq!(amount(&Cell::Number(-1.0)), None);
        assert_eq!(amount(&Cell::Number(1.5)), None);
        assert_eq!(amount(&Cell::Text("khoảng 5 triệu".into())), None);
        assert_eq!(amount(&Cell::Text("-5000".into())), None);
    }

    #[test]
    fn lists_split_on_punctuation_not_spaces() {
        assert_eq!(
            items("090 123 4567; 0912345678\n"),
            vec!["090 123 4567", "0912345678"]
        );
        assert!(items(" ; ").is_empty());
    }
}
