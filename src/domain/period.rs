//! Reporting periods (`docs/domain.md` §13). State reporting (Decree 09/2019/ND-CP
//! art. 12) closes a month on the 14th: with the cut-off day 15, the month of
//! March runs from 15 February to 14 March, and a quarter, a half-year and a year
//! end on the 14th of their last month. Calendar periods and any from–to dates
//! are offered too. A period is a half-open range of local dates `[from, to)`.

use chrono::{Datelike, Months, NaiveDate};

/// The years a period may fall in: before 2000 there is nothing to count, and a
/// typo like 20266 must not reach the database.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A reporting month, quarter, half-year or year (ending on the cut-off).
    Month,
    Quarter,
    Half,
    Year,
    CalendarMonth,
    CalendarQuarter,
    CalendarYear,
    Custom,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub kind: Kind,
    /// The year and number (month 1–12, quarter 1–4, half 1–2; 1 for a year).
    pub year: i32,
    pub number: u32,
    pub from: NaiveDate,
    /// Exclusive.
    pub to: NaiveDate,
}

/// Why a period was refused (each has a message key `stats-period-<code>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodError {
    Unknown,
    Year,
    Dates,
    Inverted,
    TooLong,
}

impl PeriodError {
    pub fn key(self) -> &'static str {
        match self {
            PeriodError::Unknown => "stats-period-unknown",
            PeriodError::Year => "stats-period-year",
            PeriodError::Dates => "stats-period-dates",
            PeriodError::Inverted => "stats-period-inverted",
            PeriodError::TooLong => "stats-period-too-long",
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The first day of reporting month `m` of `year` with cut-off day `cutoff`
/// (1 = calendar months): the cut-off day of the month before.
fn month_start(year: i32, m: u32, cutoff: u32) -> Option<NaiveDate> {
    let first = ymd(year, m, 1)?;
    if cutoff <= 1 {
        return Some(first);
    }
    first.checked_sub_months(Months::new(1))?.with_day(cutoff)
}

impl Period {
    /// A reporting or calendar period of `months` months ending with month
    /// `last` of `year`.
    fn months(
        kind: Kind,
        year: i32,
        number: u32,
        last: u32,
        months: u32,
        cutoff: u32,
    ) -> Option<Period> {
        let end_month = ymd(year, last, 1)?.checked_add_months(Months::new(1))?;
        let to = month_start(end_month.year(), end_month.month(), cutoff)?;
        let from = to.checked_sub_months(Months::new(months))?;
        Some(Period {
            kind,
            year,
            number,
            from,
            to,
        })
    }

    pub fn of(kind: Kind, year: i32, number: u32, cutoff: u32) -> Result<Period, PeriodError> {
        if !YEARS.contains(&year) {
            return Err(PeriodError::Year);
        }
        let reporting = cutoff;
        let (last, months, max, cut) = match kind {
            Kind::Month => (number, 1, 12, reporting),
            Kind::Quarter => (number * 3, 3, 4, reporting),
            Kind::Half => (number * 6, 6, 2, reporting),
            Kind::Year => (12, 12, 1, reporting),
            Kind::CalendarMonth => (number, 1, 12, 1),
            Kind::CalendarQuarter => (number * 3, 3, 4, 1),
            Kind::CalendarYear => (12, 12, 1, 1),
            Kind::Custom => return Err(PeriodError::Unknown),
        };
        if number == 0 || number > max {
            return Err(PeriodError::Unknown);
        }
        Period::months(kind, year, number, last, months, cut).ok_or(PeriodError::Unknown)
    }

    /// Any dates, `to` included (as people type them).
    pub fn custom(from: NaiveDate, to_inclusive: NaiveDate) -> Result<Period, PeriodError> {
        if !YEARS.contains(&from.year()) || !YEARS.contains(&to_inclusive.year()) {
            return Err(PeriodError::Year);
        }
        if to_inclusive < from {
            return Err(PeriodError::Inverted);
        }
        let to = to_inclusive.succ_opt().ok_or(PeriodError::Dates)?;
        if (to - from).num_days() > 366 * 5 {
            return Err(PeriodError::TooLong);
        }
        Ok(Period {
            kind: Kind::Custom,
            year: from.year(),
            number: 0,
            from,
            to,
        })
    }

    /// The period's code in a URL: `m2026-03`, `q2026-1`, `h2026-2`, `y2026`,
    /// `cm2026-03`, `cq2026-1`, `cy2026`; custom periods travel as dates.
    pub fn code(&self) -> String {
        match self.kind {
            Kind::Month => format!("m{}-{:02}", self.year, self.number),
            Kind::Quarter => format!("q{}-{}", self.year, self.number),
            Kind::Half => format!("h{}-{}", self.year, self.number),
            Kind::Year => format!("y{}", self.year),
            Kind::CalendarMonth => format!("cm{}-{:02}", self.year, self.number),
            Kind::CalendarQuarter => format!("cq{}-{}", self.year, self.number),
            Kind::CalendarYear => format!("cy{}", self.year),
            Kind::Custom => "custom".into(),
        }
    }

    pub fn parse(code: &str, cutoff: u32) -> Result<Period, PeriodError> {
        let code = code.trim();
        let (kind, rest) = [
            ("cm", Kind::CalendarMonth),
            ("cq", Kind::CalendarQuarter),
            ("cy", Kind::CalendarYear),
            ("m", Kind::Month),
            ("q", Kind::Quarter),
            ("h", Kind::Half),
            ("y", Kind::Year),
        ]
        .iter()
        .find_map(|(p, k)| code.strip_prefix(p).map(|r| (*k, r)))
        .ok_or(PeriodError::Unknown)?;
        let (year, number) = match rest.split_once('-') {
            Some((y, n)) => (y, n.parse::<u32>().map_err(|_| PeriodError::Unknown)?),
            None if matches!(kind, Kind::Year | Kind::CalendarYear) => (rest, 1),
            None => return Err(PeriodError::Unknown),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(
                if year.bytes().all(|b| b.is_ascii_digit()) && !year.is_empty() {
                    PeriodError::Year
                } else {
                    PeriodError::Unknown
                },
            );
        }
        let year: i32 = year.parse().map_err(|_| PeriodError::Unknown)?;
        Period::of(kind, year, number, cutoff)
    }

    /// The reporting month (or calendar month) holding `day`.
    pub fn month_of(day: NaiveDate, cutoff: u32) -> Result<Period, PeriodError> {
        let mut p = Period::of(Kind::Month, day.year(), day.month(), cutoff)?;
        if day >= p.to {
            let next = day
                .checked_add_months(Months::new(1))
                .ok_or(PeriodError::Year)?;
            p = Period::of(Kind::Month, next.year(), next.month(), cutoff)?;
        }
        Ok(p)
    }

    /// The period just before, of the same length and kind.
    pub fn previous(&self, cutoff: u32) -> Result<Period, PeriodError> {
        match self.kind {
            Kind::Custom => {
                let days = (self.to - self.from).num_days();
                let from = self.from - chrono::Duration::days(days);
                let to_inclusive = self.from.pred_opt().ok_or(PeriodError::Year)?;
                Period::custom(from, to_inclusive)
            }
            Kind::Year | Kind::CalendarYear => Period::of(self.kind, self.year - 1, 1, cutoff),
            _ => {
                let per_year = match self.kind {
                    Kind::Month | Kind::CalendarMonth => 12,
                    Kind::Quarter | Kind::CalendarQuarter => 4,
                    _ => 2,
                };
                if self.number > 1 {
                    Period::of(self.kind, self.year, self.number - 1, cutoff)
                } else {
                    Period::of(self.kind, self.year - 1, per_year, cutoff)
                }
            }
        }
    }

    /// The same period a year earlier.
    pub fn year_before(&self, cutoff: u32) -> Result<Period, PeriodError> {
        match self.kind {
            Kind::Custom => {
                let back = |d: NaiveDate| {
                    d.checked_sub_months(Months::new(12))
                        .ok_or(PeriodError::Year)
                };
                let to = back(self.to)?;
                Period::custom(back(self.from)?, to.pred_opt().ok_or(PeriodError::Year)?)
            }
            _ => Period::of(self.kind, self.year - 1, self.number, cutoff),
        }
    }

    /// The last day included.
    pub fn last_day(&self) -> NaiveDate {
        self.to.pred_opt().unwrap_or(self.to)
    }

    /// The `n` reporting (or calendar) months ending with the one that holds the
    /// period's last day, oldest first: the charts' axis.
    pub fn trailing_months(&self, n: u32, cutoff: u32) -> Vec<Period> {
        let cut = if matches!(
            self.kind,
            Kind::CalendarMonth | Kind::CalendarQuarter | Kind::CalendarYear
        ) {
            1
        } else {
            cutoff
        };
        let Ok(mut m) = Period::month_of(self.last_day(), cut) else {
            return Vec::new();
        };
        let mut out = vec![m];
        while out.len() < n as usize {
            match m.previous(cut) {
                Ok(p) => {
                    m = p;
                    out.push(p);
                }
                Err(_) => break,
            }
        }
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_reporting_month_runs_from_the_15th_to_the_14th() {
        let p = Period::parse("m2026-03", 15).unwrap();
        assert_eq!((p.from, p.last_day()), (d(2026, 2, 15), d(2026, 3, 14)));
        let jan = Period::parse("m2026-01", 15).unwrap();
        assert_eq!((jan.from, jan.to), (d(2025, 12, 15), d(2026, 1, 15)));
    }

    #[test]
    fn quarters_halves_and_years_end_on_the_14th_of_their_last_month() {
        let q1 = Period::parse("q2026-1", 15).unwrap();
        assert_eq!((q1.from, q1.last_day()), (d(2025, 12, 15), d(2026, 3, 14)));
        let h2 = Period::parse("h2026-2", 15).unwrap();
        assert_eq!((h2.from, h2.last_day()), (d(2026, 6, 15), d(2026, 12, 14)));
        let y = Period::parse("y2026", 15).unwrap();
        assert_eq!((y.from, y.last_day()), (d(2025, 12, 15), d(2026, 12, 14)));
    }

    #[test]
    fn the_cut_off_is_a_setting_and_calendar_periods_ignore_it() {
        let p = Period::parse("m2026-03", 20).unwrap();
        assert_eq!((p.from, p.last_day()), (d(2026, 2, 20), d(2026, 3, 19)));
        let c = Period::parse("cm2026-02", 15).unwrap();
        assert_eq!((c.from, c.last_day()), (d(2026, 2, 1), d(2026, 2, 28)));
        let cq = Period::parse("cq2026-4", 15).unwrap();
        assert_eq!((cq.from, cq.to), (d(2026, 10, 1), d(2027, 1, 1)));
        let one = Period::parse("m2026-03", 1).unwrap();
        assert_eq!((one.from, one.last_day()), (d(2026, 3, 1), d(2026, 3, 31)));
    }

    #[test]
    fn the_month_of_a_day_switches_on_the_cut_off() {
        assert_eq!(
            Period::month_of(d(2026, 3, 14), 15).unwrap().code(),
            "m2026-03"
        );
        assert_eq!(
            Period::month_of(d(2026, 3, 15), 15).unwrap().code(),
            "m2026-04"
        );
        assert_eq!(
            Period::month_of(d(2026, 12, 15), 15).unwrap().code(),
            "m2027-01"
        );
    }

    #[test]
    fn previous_and_year_before() {
        let m = Period::parse("m2026-01", 15).unwrap();
        assert_eq!(m.previous(15).unwrap().code(), "m2025-12");
        assert_eq!(m.year_before(15).unwrap().code(), "m2025-01");
        let q = Period::parse("q2026-1", 15).unwrap();
        assert_eq!(q.previous(15).unwrap().code(), "q2025-4");
        let c = Period::custom(d(2026, 3, 1), d(2026, 3, 10)).unwrap();
        let prev = c.previous(15).unwrap();
        assert_eq!(
            (prev.from, prev.last_day()),
            (d(2026, 2, 19), d(2026, 2, 28))
        );
        let before = c.year_before(15).unwrap();
        assert_eq!(
            (before.from, before.last_day()),
            (d(2025, 3, 1), d(2025, 3, 10))
        );
    }

    #[test]
    fn trailing_months_end_with_the_period() {
        let y = Period::parse("y2026", 15).unwrap();
        let months = y.trailing_months(12, 15);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].code(), "m2026-01");
        assert_eq!(months[11].code(), "m2026-12");
        assert_eq!(months[0].from, y.from);
    }

    #[test]
    fn bad_periods_say_why() {
        assert_eq!(Period::parse("m2026-13", 15), Err(PeriodError::Unknown));
        assert_eq!(Period::parse("w2026-1", 15), Err(PeriodError::Unknown));
        assert_eq!(Period::parse("m1999-01", 15), Err(PeriodError::Year));
        assert_eq!(Period::parse("y20266", 15), Err(PeriodError::Year));
        assert_eq!(Period::parse("q2026-0", 15), Err(PeriodError::Unknown));
        assert_eq!(Period::parse("", 15), Err(PeriodError::Unknown));
        assert_eq!(
            Period::custom(d(2026, 3, 2), d(2026, 3, 1)),
            Err(PeriodError::Inverted)
        );
        assert_eq!(
            Period::custom(d(1990, 3, 2), d(2026, 3, 1)),
            Err(PeriodError::Year)
        );
    }
}
