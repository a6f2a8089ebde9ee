//! Statistics (`docs/domain.md` §13): a unit's figures for a period (a
//! supervisor's), or an officer's over the cases assigned to them. Unit-wide
//! figures read the trigger-kept day tallies; an officer's, and those filtered by
//! category, team or channel, compute the same tallies over the cases the list
//! filter selects, so both share `case_tally_parts` and the visibility rule.

mod chart;
mod figures;
pub mod report;
pub mod view;

pub use chart::{Chart, Unit as ChartUnit};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

pub use figures::{band_of, Bands, Figures, Money, COMPLIANCE, RESULTS, TIMES};

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::domain::period::{Period, PeriodError};
use crate::error::AppError;
use crate::i18n::k;
use crate::models::case::list::{self, AssigneeFilter, ListFilter};
use crate::models::case::{CaseType, Channel};
use crate::models::case_tally::{self, Source};
use crate::models::{case_transfer, submission};
use crate::services::deadlines::end_of_day;

/// The raw query string of `/stats` (bookmarkable).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StatsQuery {
    pub period: String,
    pub from: String,
    pub to: String,
    #[serde(rename = "type")]
    pub case_type: String,
    pub category: String,
    pub team: String,
    pub channel: String,
    /// `unit` asks for the whole unit's figures (supervisors only).
    pub scope: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsFilter {
    pub case_type: Option<CaseType>,
    pub category_id: Option<i32>,
    pub team: Option<String>,
    pub channel: Option<Channel>,
}

impl StatsFilter {
    /// The tallies' scope for this filter: they hold the unit, and each of
    /// category, channel and team alone; `None` when two are combined.
    fn scope(&self) -> Option<String> {
        match (self.category_id, self.channel, &self.team) {
            (None, None, None) => Some(String::new()),
            (Some(c), None, None) => Some(format!("cat:{c}")),
            (None, Some(c), None) => Some(format!("chan:{}", c.code())),
            (None, None, Some(t)) => Some(format!("team:{t}")),
            _ => None,
        }
    }

    /// The same filter as `/cases` query parameters.
    pub fn query(&self) -> String {
        let mut q = String::new();
        if let Some(t) = self.case_type {
            q.push_str(&format!("&type={}", t.code()));
        }
        if let Some(c) = self.category_id {
            q.push_str(&format!("&category={c}"));
        }
        if let Some(t) = &self.team {
            q.push_str(&format!(
                "&team={}",
                crate::domain::value::encode_query_value(t)
            ));
        }
        if let Some(c) = self.channel {
            q.push_str(&format!("&channel={}", c.code()));
        }
        q
    }
}

/// Whose figures: the unit's (supervisors) or one's own cases (officers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Unit,
    Own,
}

/// One period's figures with what is not in the tallies.
#[derive(Clone, Debug, Default)]
pub struct PeriodFigures {
    pub period: Option<Period>,
    pub f: Figures,
    pub open_at_end: i64,
    pub money: Money,
    /// The summed tallies, for figures of one case type (`Figures::fold_type`).
    pub rows: Vec<case_tally::TallyRow>,
    /// Open at the end, per case type.
    pub open_by_type: Vec<(String, i64)>,
}

/// One month of the charts.
#[derive(Clone, Debug)]
pub struct Month {
    pub period: Period,
    pub f: Figures,
    pub money: Money,
}

pub struct Stats {
    pub computed_at: DateTime<Utc>,
    pub scope: Scope,
    pub filter: StatsFilter,
    pub tz: Tz,
    pub now: PeriodFigures,
    pub previous: PeriodFigures,
    pub year_before: PeriodFigures,
    pub months: Vec<Month>,
    /// Open crime reports past their deadline, now.
    pub overdue_now: i64,
    /// Unit scope only: public reports, transfers to other units.
    pub intake: Option<submission::IntakeFigures>,
    pub transfers_out: Vec<(String, i64)>,
    /// Unit scope only: the identifiers reported most in the period.
    pub top: Vec<crate::models::hot_identifier::Hot>,
}

/// How long computed figures are reused.
pub const RECENT_SECONDS: u64 = 60;

/// Figures computed in the last minute, by who asked what: reloading the page,
/// or a unit's staff opening the same period, costs one computation a minute
/// (the page says when its figures were computed).
#[derive(Default)]
pub struct Recent(
    std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, std::sync::Arc<Stats>)>,
    >,
);

impl Recent {
    pub fn get_or(
        &self,
        key: String,
        compute: impl FnOnce() -> Result<Stats, AppError>,
    ) -> Result<std::sync::Arc<Stats>, AppError> {
        let ttl = std::time::Duration::from_secs(RECENT_SECONDS);
        if let Ok(map) = self.0.lock() {
            if let Some((at, s)) = map.get(&key) {
                if at.elapsed() < ttl {
                    return Ok(s.clone());
                }
            }
        }
        let s = std::sync::Arc::new(compute()?);
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= 1000 {
                map.retain(|_, (at, _)| at.elapsed() < ttl);
                if map.len() >= 1000 {
                    map.clear();
                }
            }
            map.insert(key, (std::time::Instant::now(), s.clone()));
        }
        Ok(s)
    }
}

/// What makes two requests the same question: the unit, whose figures (the
/// officer's own), the filter, the period and the cut-off.
pub fn recent_key(
    me: &CurrentUser,
    scope: Scope,
    filter: &StatsFilter,
    period: &Period,
    cutoff: u32,
) -> String {
    let who = match scope {
        Scope::Unit => "unit".to_owned(),
        Scope::Own => format!("user{}", me.id),
    };
    format!("{}|{who}|{filter:?}|{period:?}|{cutoff}", me.unit_id)
}

/// Parses the period of a query: a period code, or from–to dates; by default
/// the reporting month holding today.
pub fn period_of(q: &StatsQuery, cutoff: u32, today: NaiveDate) -> Result<Period, PeriodError> {
    let (from, to) = (q.from.trim(), q.to.trim());
    if !from.is_empty() || !to.is_empty() {
        let date =
            |v: &str| NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| PeriodError::Dates);
        return Period::custom(date(from)?, date(to)?);
    }
    match q.period.trim() {
        "" => Period::month_of(today, cutoff),
        code => Period::parse(code, cutoff),
    }
}

/// Parses the filters; a value that is not one of the list's is refused (422).
pub fn filter_of(q: &StatsQuery) -> Result<StatsFilter, AppError> {
    let bad = || AppError::Invalid(k("stats-filter-invalid"));
    fn opt(v: &str) -> Option<&str> {
        Some(v.trim()).filter(|v| !v.is_empty())
    }
    Ok(StatsFilter {
        case_type: opt(&q.case_type)
            .map(|v| v.parse())
            .transpose()
            .map_err(|_| bad())?,
        category_id: opt(&q.category)
            .map(|v| v.parse())
            .transpose()
            .map_err(|_| bad())?,
        team: opt(&q.team).map(|t| t.chars().take(80).collect()),
        channel: opt(&q.channel)
            .map(|v| v.parse())
            .transpose()
            .map_err(|_| bad())?,
    })
}

/// Who `me` gets figures for: supervisors their unit, officers their own cases;
/// nobody else (admins do no case work, national analysts read no case).
pub fn scope_of(me: &CurrentUser, asked: &str) -> Result<Scope, AppError> {
    policy::require(me, Action::WorkCases)?;
    let supervises = policy::allows(me.role, Action::SuperviseCases);
    match asked.trim() {
        "" if supervises => Ok(Scope::Unit),
        "unit" if supervises => Ok(Scope::Unit),
        "" | "own" => Ok(Scope::Own),
        "unit" => Err(AppError::Forbidden),
        _ => Err(AppError::Invalid(k("stats-filter-invalid"))),
    }
}

/// The local midnight starting `day`, in UTC.
pub fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    end_of_day(day.pred_opt().unwrap_or(day), tz) + chrono::Duration::seconds(1)
}

/// The cases an officer's figures, or filtered figures, are computed over:
/// the list's filter with the list's visibility (one rule everywhere).
fn chosen_ids(
    conn: &mut PgConnection,
    me: &CurrentUser,
    scope: Scope,
    filter: &StatsFilter,
) -> QueryResult<Vec<i64>> {
    let vis = policy::case_visibility(me);
    let f = ListFilter {
        case_type: filter.case_type,
        category_id: filter.category_id,
        team: filter.team.clone(),
        channel: filter.channel,
        assignee: (scope == Scope::Own).then_some(AssigneeFilter::Me),
        // Merged duplicates too: `case_tally_parts` counts none of their
        // reports but keeps the money recovered on them, as the unit's do.
        ..Default::default()
    };
    list::ids(conn, &vis, me.id, &f, Utc::now())
}

/// Everything `/stats` shows for `period`, with 12 months of charts.
pub fn compute(
    conn: &mut PgConnection,
    me: &CurrentUser,
    scope: Scope,
    filter: StatsFilter,
    period: Period,
    cutoff: u32,
) -> Result<Stats, AppError> {
    compute_with(conn, me, (scope, filter), period, cutoff, 12)
}

/// The figures for `period` with `months` months of charts (none for the
/// periodic report).
pub fn compute_with(
    conn: &mut PgConnection,
    me: &CurrentUser,
    (scope, filter): (Scope, StatsFilter),
    period: Period,
    cutoff: u32,
    months: u32,
) -> Result<Stats, AppError> {
    // Enough memory that a year's sums are hashed, not sorted on disk.
    conn.transaction(|conn| {
        diesel::sql_query("SET LOCAL work_mem = '32MB'").execute(conn)?;
        figures_of(conn, me, (scope, filter), period, cutoff, months)
    })
}

fn figures_of(
    conn: &mut PgConnection,
    me: &CurrentUser,
    (scope, filter): (Scope, StatsFilter),
    period: Period,
    cutoff: u32,
    months: u32,
) -> Result<Stats, AppError> {
    let unit = crate::models::unit::find(conn, me.unit_id)?;
    let tz: Tz = unit
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let tally_scope = filter.scope();
    let ids = if scope == Scope::Own || tally_scope.is_none() {
        Some(chosen_ids(conn, me, scope, &filter)?)
    } else {
        None
    };
    let type_code = filter.case_type.map(|t| t.code());
    let source = match &ids {
        Some(ids) => Source::Cases {
            unit_id: me.unit_id,
            ids,
        },
        None => Source::Unit {
            unit_id: me.unit_id,
            case_type: type_code,
            scope: tally_scope.as_deref().unwrap_or(""),
        },
    };
    let previous = period.previous(cutoff).ok();
    let year_before = period.year_before(cutoff).ok();
    // Open at the end of each period: one pass for the three.
    let mut ends: Vec<NaiveDate> = [Some(period), previous, year_before]
        .iter()
        .flatten()
        .map(|p| p.to)
        .collect();
    ends.sort_unstable();
    ends.dedup();
    let opens = case_tally::open_at(conn, source, &ends)?;
    let open_of = |p: &Period| {
        ends.iter()
            .position(|d| *d == p.to)
            .and_then(|i| opens.get(i).cloned())
            .unwrap_or_default()
    };
    // The durations are shown for the period itself only.
    let mut one = |p: Option<Period>, times: bool| -> Result<PeriodFigures, AppError> {
        let Some(p) = p else {
            return Ok(PeriodFigures::default());
        };
        let bounds = [p.from, p.to];
        let mut rows = case_tally::sums(conn, source, &bounds, case_tally::COUNTS)?;
        if times {
            rows.extend(case_tally::sums(conn, source, &bounds, case_tally::TIMES)?);
        }
        let open = open_of(&p);
        let f = Figures::fold(&rows, 1);
        Ok(PeriodFigures {
            period: Some(p),
            money: f.money.clone(),
            f,
            open_at_end: open.iter().map(|(_, n)| n).sum(),
            rows,
            open_by_type: open,
        })
    };
    let now = one(Some(period), true)?;
    let prev = one(previous, false)?;
    // A year's previous period is the year before: counted once.
    let last = if year_before == previous {
        prev.clone()
    } else {
        one(year_before, false)?
    };
    // The page's extras (public reports, transfers, top identifiers); the
    // periodic report computes its own.
    let page = months > 0;
    let trailing = if months == 0 {
        Vec::new()
    } else {
        period.trailing_months(months, cutoff)
    };
    let mut bounds: Vec<NaiveDate> = trailing.iter().map(|m| m.from).collect();
    if let Some(m) = trailing.last() {
        bounds.push(m.to);
    }
    let rows = case_tally::sums(conn, source, &bounds, case_tally::COUNTS)?;
    let months = trailing
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let b = i32::try_from(i + 1).unwrap_or(i32::MAX);
            let f = Figures::fold(&rows, b);
            Month {
                period: *m,
                money: f.money.clone(),
                f,
            }
        })
        .collect();
    let overdue_now = overdue(conn, me, scope, &filter)?;
    let (intake, transfers_out, top) = if scope == Scope::Unit && page {
        let (from, to) = (start_of(period.from, tz), start_of(period.to, tz));
        (
            Some(submission::figures(conn, me.unit_id, from, to)?),
            case_transfer::sent_counts(conn, me.unit_id, from, to)?,
            crate::models::hot_identifier::top_between(conn, me.unit_id, (from, to), 10)?,
        )
    } else {
        (None, Vec::new(), Vec::new())
    };
    Ok(Stats {
        computed_at: Utc::now(),
        scope,
        filter,
        tz,
        now,
        previous: prev,
        year_before: last,
        months,
        overdue_now,
        intake,
        transfers_out,
        top,
    })
}

/// Open crime reports whose deadline has passed, as `/cases?deadline=overdue`
/// counts them.
fn overdue(
    conn: &mut PgConnection,
    me: &CurrentUser,
    scope: Scope,
    filter: &StatsFilter,
) -> QueryResult<i64> {
    let vis = policy::case_visibility(me);
    let f = ListFilter {
        statuses: crate::models::case::Status::open(),
        case_type: Some(filter.case_type.unwrap_or(CaseType::CrimeReport)),
        category_id: filter.category_id,
        team: filter.team.clone(),
        channel: filter.channel,
        assignee: (scope == Scope::Own).then_some(AssigneeFilter::Me),
        deadline: Some(list::DeadlineFilter::Overdue),
        ..Default::default()
    };
    list::count(conn, &vis, me.id, &f, Utc::now())
}
