//! Legal clocks (`docs/domain.md` §3): when a clock falls due, its state, and the limits on
//! extensions. Pure functions of their inputs; times in UTC, calendar days counted
//! in the unit's time zone.

use chrono::{DateTime, Days, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::i18n::{k, MsgKey};
use crate::models::deadline::{Clock, ClockKind, Unit};

/// When a clock started at `start` falls due. Hours are exact; days end at
/// 23:59:59 local time of the last day, as legal day counts do.
pub fn due(start: DateTime<Utc>, amount: i32, unit: Unit, tz: Tz) -> DateTime<Utc> {
    match unit {
        Unit::Hours => start + Duration::hours(i64::from(amount)),
        Unit::Days => {
            let day = start.with_timezone(&tz).date_naive();
            end_of_day(
                day.checked_add_days(Days::new(u64::try_from(amount).unwrap_or(0)))
                    .unwrap_or(day),
                tz,
            )
        }
    }
}

/// 23:59:59 local time on `day`, in UTC.
pub fn end_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    tz.from_local_datetime(&local)
        .latest()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| local.and_utc())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineState {
    OnTime,
    DueSoon,
    Overdue,
    Met,
}

impl DeadlineState {
    pub fn label_key(self) -> &'static str {
        match self {
            DeadlineState::OnTime => k("deadline-on-time").0,
            DeadlineState::DueSoon => k("deadline-due-soon").0,
            DeadlineState::Overdue => k("deadline-overdue").0,
            DeadlineState::Met => k("deadline-met").0,
        }
    }

    /// As the API writes it.
    pub fn code(self) -> &'static str {
        match self {
            DeadlineState::OnTime => "on_time",
            DeadlineState::DueSoon => "due_soon",
            DeadlineState::Overdue => "overdue",
            DeadlineState::Met => "met",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            DeadlineState::OnTime => "on-time",
            DeadlineState::DueSoon => "due-soon",
            DeadlineState::Overdue => "overdue",
            DeadlineState::Met => "met",
        }
    }
}

/// Due soon within 3 days, or within the last quarter of the clock's span if that
/// is shorter; overdue once past.
pub fn state(
    starts_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    met: bool,
    now: DateTime<Utc>,
) -> DeadlineState {
    if met {
        return DeadlineState::Met;
    }
    if now > due_at {
        return DeadlineState::Overdue;
    }
    let span = due_at - starts_at;
    let soon = (span / 4).min(Duration::days(3));
    if now >= due_at - soon {
        DeadlineState::DueSoon
    } else {
        DeadlineState::OnTime
    }
}

/// Checks a requested extension of a clock to `new_due`. For the crime-report
/// decision clock (BLTTHS art. 147): the first extension reaches at most 2 months
/// from receipt; a second, of at most 2 more months, needs the procuracy's document
/// number; there is no third. Other clocks: any later date within a year.
pub fn check_extension(
    case_is_crime_report: bool,
    received_at: DateTime<Utc>,
    clock: &Clock,
    new_due: DateTime<Utc>,
    doc_no: Option<&str>,
    tz: Tz,
) -> Result<(), MsgKey> {
    let (kind, current_due, extensions) = (clock.kind, clock.due_at, clock.extensions);
    if new_due <= current_due {
        return Err(k("extend-not-later"));
    }
    if case_is_crime_report && kind == ClockKind::Decide {
        let limit_from = |t: DateTime<Utc>| {
            let day = t.with_timezone(&tz).date_naive();
            end_of_day(day.checked_add_months(Months::new(2)).unwrap_or(day), tz)
        };
        return match extensions {
            0 if new_due > limit_from(received_at) => Err(k("extend-first-limit")),
            0 => Ok(()),
            1 if doc_no.is_none_or(|d| d.trim().is_empty()) => Err(k("extend-doc-required")),
            1 if new_due > limit_from(current_due) => Err(k("extend-second-limit")),
            1 => Ok(()),
            _ => Err(k("extend-no-more")),
        };
    }
    if new_due > current_due + Duration::days(366) {
        return Err(k("extend-too-far"));
    }
    Ok(())
}

/// Recomputes the case's nearest unmet clock.
pub fn refresh_deadline(
    conn: &mut diesel::PgConnection,
    case_id: i64,
) -> Result<(), crate::error::AppError> {
    let next = crate::models::deadline::clocks(conn, case_id)?
        .into_iter()
        .filter(|c| c.met_at.is_none())
        .min_by_key(|c| c.due_at);
    crate::models::case::set_deadline(
        conn,
        case_id,
        next.as_ref().map(|c| c.due_at),
        next.as_ref().map(|c| c.kind.code()),
    )?;
    Ok(())
}

/// The receipt's sentence on time limits for a report of `kind` received on
/// `day` (local): the figure of the deadline rule in force now and the legal
/// basis in force on that day (`docs/domain.md` §18), in `lang`.
pub fn receipt_limits(
    conn: &mut diesel::PgConnection,
    lang: crate::i18n::Lang,
    kind: crate::models::submission::SubmissionKind,
    day: NaiveDate,
) -> diesel::QueryResult<String> {
    use crate::models::{case::CaseType, legal_basis, submission::SubmissionKind};
    let (case_type, clock) = match kind {
        SubmissionKind::Crime => (CaseType::CrimeReport, ClockKind::Decide),
        SubmissionKind::Incident => (CaseType::SecurityIncident, ClockKind::FinalReport),
        SubmissionKind::Breach => (CaseType::DataBreach, ClockKind::Notify),
    };
    let rule = crate::models::deadline::active_rules_for(conn, case_type)?
        .into_iter()
        .find(|r| r.kind == clock);
    let bases = legal_basis::all(conn)?;
    let basis = crate::domain::law::topic_of(case_type)
        .and_then(|topic| legal_basis::on(&bases, topic, day))
        .map(|b| b.citation(lang))
        .unwrap_or_default();
    let Some(rule) = rule else {
        return Ok(crate::i18n::t(lang, "receipt-limits-none"));
    };
    let unit_key = match rule.unit {
        Unit::Hours => "stats-hours",
        Unit::Days => "stats-days",
    };
    let limit = crate::i18n::t_args(lang, unit_key, &[("n", &rule.amount.to_string())]);
    Ok(crate::i18n::t_args(
        lang,
        &format!("receipt-limits-{}", kind.code()),
        &[("limit", &limit), ("basis", &basis)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Ho_Chi_Minh as HCM;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    #[test]
    fn days_end_at_local_midnight_and_hours_are_exact() {
        // 20:00 UTC on 30/11 is already 01/12 in Ho Chi Minh City.
        let start = utc("2026-11-30T20:00:00Z");
        assert_eq!(due(start, 20, Unit::Days, HCM), utc("2026-12-21T16:59:59Z"));
        assert_eq!(
            due(start, 24, Unit::Hours, HCM),
            utc("2026-12-01T20:00:00Z")
        );
    }

    #[test]
    fn states_follow_the_three_day_or_quarter_rule() {
        let start = utc("2026-12-01T00:00:00Z");
        let due_at = utc("2026-12-21T00:00:00Z");
        assert_eq!(
            state(start, due_at, false, utc("2026-12-10T00:00:00Z")),
            DeadlineState::OnTime
        );
        assert_eq!(
            state(start, due_at, false, utc("2026-12-18T00:00:01Z")),
            DeadlineState::DueSoon
        );
        assert_eq!(
            state(start, due_at, false, utc("2026-12-21T00:00:01Z")),
            DeadlineState::Overdue
        );
        assert_eq!(
            state(start, due_at, true, utc("2027-01-01T00:00:00Z")),
            DeadlineState::Met
        );
        // A 24-hour clock is due soon in its last 6 hours, not its last 3 days.
        let short = utc("2026-12-02T00:00:00Z");
        assert_eq!(
            state(start, short, false, utc("2026-12-01T17:00:00Z")),
            DeadlineState::OnTime
        );
        assert_eq!(
            state(start, short, false, utc("2026-12-01T18:00:00Z")),
            DeadlineState::DueSoon
        );
    }

    #[test]
    fn crime_report_extensions_follow_the_law() {
        let received = utc("2026-01-10T03:00:00Z");
        let due_at = due(received, 20, Unit::Days, HCM);
        let clock = |kind, due_at, extensions| Clock {
            id: 1,
            kind,
            starts_at: received,
            due_at,
            extensions,
            met_at: None,
            first_due_at: None,
        };
        let check = |c: Clock, new, doc| check_extension(true, received, &c, new, doc, HCM);
        let two_months = end_of_day(NaiveDate::from_ymd_opt(2026, 3, 10).expect("date"), HCM);
        let first = clock(ClockKind::Decide, due_at, 0);
        assert_eq!(check(first.clone(), two_months, None), Ok(()));
        assert_eq!(
            check(first.clone(), two_months + Duration::seconds(1), None),
            Err(k("extend-first-limit"))
        );
        assert_eq!(
            check(first, due_at - Duration::hours(1), None),
            Err(k("extend-not-later"))
        );
        let second = clock(ClockKind::Decide, two_months, 1);
        let four_months = end_of_day(NaiveDate::from_ymd_opt(2026, 5, 10).expect("date"), HCM);
        assert_eq!(
            check(second.clone(), four_months, None),
            Err(k("extend-doc-required"))
        );
        assert_eq!(
            check(second.clone(), four_months, Some("  ")),
            Err(k("extend-doc-required"))
        );
        assert_eq!(
            check(second.clone(), four_months, Some("123/QĐ-VKS")),
            Ok(())
        );
        assert_eq!(
            check(second, four_months + Duration::days(1), Some("123/QĐ-VKS")),
            Err(k("extend-second-limit"))
        );
        let third = clock(ClockKind::Decide, four_months, 2);
        assert_eq!(
            check(third, four_months + Duration::days(1), Some("x")),
            Err(k("extend-no-more"))
        );
        // Other clocks: any later date within a year.
        let other = clock(ClockKind::Notify, due_at, 3);
        assert_eq!(
            check_extension(
                false,
                received,
                &other,
                due_at + Duration::days(30),
                None,
                HCM
            ),
            Ok(())
        );
    }
}
