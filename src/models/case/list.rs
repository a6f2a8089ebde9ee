//! The case list's queries: every filter as one condition (visibility first),
//! counts per status, the text-search window and one sorted page.

use chrono::{DateTime, Duration, Utc};
use diesel::{dsl::sql, pg::Pg, prelude::*, sql_types::Text};

use super::{CaseFilterExpr, CaseType, Channel, Severity, Status, Tlp, Visibility};
use crate::db::fixed::fixed;
use crate::db::schema::{case_recoveries, case_watchers, cases};

/// Statuses that record a decision (`domain::workflow::decision`).
pub const DECISIONS: &[Status] = &[
    Status::Resolved,
    Status::Closed,
    Status::Transferred,
    Status::Suspended,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Received,
    Updated,
    Deadline,
    Severity,
    Relevance,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "received" => Sort::Received,
            "updated" => Sort::Updated,
            "deadline" => Sort::Deadline,
            "severity" => Sort::Severity,
            "relevance" => Sort::Relevance,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssigneeFilter {
    Me,
    Nobody,
    User(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineFilter {
    DueSoon,
    Overdue,
}

/// A parsed list request. `statuses` empty means every status.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub statuses: Vec<Status>,
    pub case_type: Option<CaseType>,
    pub category_id: Option<i32>,
    pub severity: Option<Severity>,
    pub assignee: Option<AssigneeFilter>,
    pub team: Option<String>,
    pub channel: Option<Channel>,
    pub tlp: Option<Tlp>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub deadline: Option<DeadlineFilter>,
    /// Decided in `[decided_from, decided_to)` (`docs/domain.md` §13).
    pub decided_from: Option<DateTime<Utc>>,
    pub decided_to: Option<DateTime<Utc>>,
    /// Decided with this result: an outcome, `none`, `transferred`, `suspended`.
    pub result: Option<String>,
    /// Crime reports decided `in_time`, `extended` or `late`.
    pub compliance: Option<String>,
    /// Open (received, not decided) at this instant.
    pub open_at: Option<DateTime<Utc>>,
    /// Classified, or assigned, in `[from, to)` (the statistics' durations).
    pub classified_from: Option<DateTime<Utc>>,
    pub classified_to: Option<DateTime<Utc>>,
    pub assigned_from: Option<DateTime<Utc>>,
    pub assigned_to: Option<DateTime<Utc>>,
    /// With money frozen or returned (`case_recoveries`) on these days.
    pub recovered: Option<RecoveredFilter>,
    /// Without a category (a category filter of `none`).
    pub uncategorised: bool,
    /// Leave merged duplicates out (a figure counts each report once).
    pub reports_only: bool,
    pub q: Option<String>,
    /// Why the search is made, if it finds cases by their reporter (None: a
    /// purpose that could not be read).
    pub purpose: Option<crate::domain::purpose::Purpose>,
    /// Only cases the user watches (dashboard).
    pub watching: bool,
    /// Ids the text search matched, resolved once per request (see `resolve_search`).
    pub matched: Option<Vec<i64>>,
    pub sort: Sort,
    pub page: i64,
    /// Keyset position: the rows after (or before) this one in the sort order.
    pub cursor: Option<Cursor>,
}

/// Cases with a recovery row of `kind` (None: either) dated `from..=to`
/// (local days, as recorded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveredFilter {
    pub kind: Option<String>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// Where a keyset page starts: the sort key and id of the row it follows
/// (`After`) or precedes (`Before`). Only the received, updated and deadline
/// orders have one; severity and relevance page by offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cursor {
    After(DateTime<Utc>, i64),
    Before(DateTime<Utc>, i64),
}

/// Where a case without a deadline sorts: after every real one. The deadline
/// order, its cursor, the overdue and due-soon filters and their indexes all
/// use `COALESCE(deadline_at, NO_DEADLINE)`, so a page seeks in an index
/// instead of reading past `NULLS LAST`.
macro_rules! no_deadline_sql {
    () => {
        "COALESCE(cases.deadline_at, '9999-12-31 00:00:00+00'::timestamptz)"
    };
}
pub const NO_DEADLINE_SQL: &str = no_deadline_sql!();

const DEADLINE_BEFORE: &str = concat!("(", no_deadline_sql!(), ", cases.id) < (");
const DEADLINE_AFTER: &str = concat!("(", no_deadline_sql!(), ", cases.id) > (");

pub fn no_deadline() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn due() -> crate::db::fixed::Fixed<diesel::sql_types::Timestamptz> {
    fixed::<diesel::sql_types::Timestamptz>(NO_DEADLINE_SQL)
}

impl Sort {
    /// Whether pages of this order are keyset pages.
    pub fn has_cursor(self) -> bool {
        matches!(self, Sort::Received | Sort::Updated | Sort::Deadline)
    }
}

impl CaseListItem {
    /// This row's sort key in `sort` (for a cursor).
    pub fn key(&self, sort: Sort) -> DateTime<Utc> {
        match sort {
            Sort::Updated => self.updated_at,
            Sort::Deadline => self.deadline_at.unwrap_or_else(no_deadline),
            _ => self.received_at,
        }
    }
}

/// One row of the list.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = cases, check_for_backend(Pg))]
pub struct CaseListItem {
    pub id: i64,
    pub ref_: String,
    pub case_type: CaseType,
    pub category_id: Option<i32>,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub tlp: Tlp,
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub team: Option<String>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub deadline_kind: Option<String>,
    pub total_loss: i64,
}

/// Digits-only form of a query that looks like a phone or account number, so
/// "0912 345 678" finds 0912345678.
pub fn normalise_query(q: &str) -> String {
    let compact: String = q
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let digits = compact.trim_start_matches('+');
    if digits.len() >= 6 && digits.chars().all(|c| c.is_ascii_digit()) {
        digits.to_owned()
    } else {
        q.to_owned()
    }
}

/// All the list's conditions as one boxed expression (boxed queries cannot be
/// grouped, and the status tabs need `GROUP BY status`).
pub fn conditions(
    vis: &Visibility,
    me: i64,
    f: &ListFilter,
    with_status: bool,
    now: DateTime<Utc>,
) -> CaseFilterExpr {
    let mut e: CaseFilterExpr = super::visible(vis);
    let mut and = |cond: CaseFilterExpr| {
        let prev = std::mem::replace(&mut e, Box::new(sql::<diesel::sql_types::Bool>("TRUE")));
        e = Box::new(prev.and(cond));
    };
    if with_status && !f.statuses.is_empty() {
        and(Box::new(cases::status.eq_any(f.statuses.clone())));
    }
    if let Some(t) = f.case_type {
        and(Box::new(cases::case_type.eq(t)));
    }
    if let Some(c) = f.category_id {
        and(Box::new(
            cases::category_id
                .eq(c)
                .or(cases::subcategory_id.eq(c))
                .assume_not_null(),
        ));
    }
    if f.uncategorised {
        and(Box::new(cases::category_id.is_null()));
    }
    if let Some(s) = f.severity {
        and(Box::new(cases::severity.eq(s)));
    }
    match &f.assignee {
        Some(AssigneeFilter::Me) => and(Box::new(cases::assignee_id.eq(me).assume_not_null())),
        Some(AssigneeFilter::Nobody) => and(Box::new(cases::assignee_id.is_null())),
        Some(AssigneeFilter::User(id)) => {
            and(Box::new(cases::assignee_id.eq(*id).assume_not_null()))
        }
        None => {}
    }
    if let Some(t) = &f.team {
        and(Box::new(cases::team.eq(t.clone()).assume_not_null()));
    }
    if let Some(c) = f.channel {
        and(Box::new(cases::channel.eq(c)));
    }
    if let Some(t) = f.tlp {
        and(Box::new(cases::tlp.eq(t)));
    }
    if let Some(from) = f.from {
        and(Box::new(cases::received_at.ge(from)));
    }
    if let Some(to) = f.to {
        and(Box::new(cases::received_at.lt(to)));
    }
    match f.deadline {
        Some(DeadlineFilter::Overdue) => and(Box::new(due().lt(now))),
        Some(DeadlineFilter::DueSoon) => and(Box::new(
            due().ge(now).and(due().lt(now + Duration::days(3))),
        )),
        None => {}
    }
    // The statistics' definitions (`case_tally_parts`): a case is decided when
    // its status is a decision and it has a decision time.
    let decided = || {
        cases::status
            .eq_any(DECISIONS.to_vec())
            .and(cases::decided_at.is_not_null())
    };
    if f.reports_only || f.open_at.is_some() {
        and(Box::new(cases::status.ne(Status::Merged)));
    }
    if let Some(from) = f.decided_from {
        and(Box::new(
            decided().and(cases::decided_at.ge(from)).assume_not_null(),
        ));
    }
    if let Some(to) = f.decided_to {
        and(Box::new(
            decided().and(cases::decided_at.lt(to)).assume_not_null(),
        ));
    }
    if let Some(r) = &f.result {
        let cond: CaseFilterExpr = match r.as_str() {
            "transferred" => Box::new(cases::status.eq(Status::Transferred)),
            "suspended" => Box::new(cases::status.eq(Status::Suspended)),
            "none" => Box::new(
                cases::status
                    .eq_any([Status::Resolved, Status::Closed])
                    .and(cases::outcome.is_null()),
            ),
            other => Box::new(
                cases::status
                    .eq_any([Status::Resolved, Status::Closed])
                    .and(cases::outcome.eq(other.to_owned()).assume_not_null()),
            ),
        };
        and(Box::new(decided().and(cond)));
    }
    if let Some(c) = &f.compliance {
        let judged: CaseFilterExpr = match c.as_str() {
            "judged" => Box::new(cases::decide_compliance.is_not_null()),
            c => Box::new(cases::decide_compliance.eq(c.to_owned()).assume_not_null()),
        };
        and(Box::new(
            decided()
                .and(cases::case_type.eq(CaseType::CrimeReport))
                .and(judged),
        ));
    }
    // Classified or assigned in a period (`case_tally_parts`' durations).
    if let Some(b) = f.classified_from {
        and(Box::new(cases::classified_at.ge(b).assume_not_null()));
    }
    if let Some(b) = f.classified_to {
        and(Box::new(cases::classified_at.lt(b).assume_not_null()));
    }
    if let Some(b) = f.assigned_from {
        and(Box::new(cases::assigned_at.ge(b).assume_not_null()));
    }
    if let Some(b) = f.assigned_to {
        and(Box::new(cases::assigned_at.lt(b).assume_not_null()));
    }
    if let Some(r) = &f.recovered {
        let mut rec = case_recoveries::table
            .select(case_recoveries::case_id)
            .into_boxed();
        if let Some(kind) = &r.kind {
            rec = rec.filter(case_recoveries::kind.eq(kind.clone()));
        }
        if let Some(from) = r.from {
            rec = rec.filter(case_recoveries::on_date.ge(from));
        }
        if let Some(to) = r.to {
            rec = rec.filter(case_recoveries::on_date.le(to));
        }
        and(Box::new(cases::id.eq_any(rec)));
    }
    if let Some(at) = f.open_at {
        and(Box::new(
            cases::received_at.lt(at).and(
                cases::decided_at
                    .is_null()
                    .or(cases::decided_at.ge(at).assume_not_null())
                    .or(cases::status.ne_all(DECISIONS.to_vec())),
            ),
        ));
    }
    if let Some(ids) = &f.matched {
        and(Box::new(cases::id.eq_any(ids.clone())));
    } else if let Some(text) = &f.q {
        and(super::matches_text(&normalise_query(text)));
    }
    if f.watching {
        let watched = case_watchers::table
            .filter(case_watchers::user_id.eq(me))
            .select(case_watchers::case_id);
        and(Box::new(cases::id.eq_any(watched)));
    }
    e
}

/// Cases per status matching every filter but the status (the tabs), each
/// counted up to `cap`: a count of `cap` means "`cap` or more". One query, one
/// bounded index scan per status, however many cases match.
pub fn status_counts(
    conn: &mut PgConnection,
    vis: &Visibility,
    me: i64,
    f: &ListFilter,
    now: DateTime<Utc>,
    cap: i64,
) -> QueryResult<Vec<(Status, i64)>> {
    let rows: Vec<(String, i64)> = CappedCounts {
        cond: conditions(vis, me, f, false, now),
        statuses: Status::ALL.iter().map(|s| s.code().to_owned()).collect(),
        cap,
    }
    .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .filter_map(|(s, n)| Some((s.parse().ok()?, n)))
        .collect())
}

/// `SELECT s, (SELECT count(*) FROM (SELECT 1 FROM cases WHERE status = s AND
/// cond LIMIT cap) x) FROM unnest(statuses) s`: diesel has no subquery in
/// FROM, so the query is written out here, its condition and values still
/// bound as parameters.
struct CappedCounts {
    cond: super::CaseFilterExpr,
    statuses: Vec<String>,
    cap: i64,
}

impl diesel::query_builder::QueryId for CappedCounts {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for CappedCounts {
    type SqlType = (Text, diesel::sql_types::BigInt);
}

impl diesel::query_builder::QueryFragment<Pg> for CappedCounts {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> QueryResult<()> {
        out.push_sql(
            "SELECT s.status, (SELECT count(*) FROM (SELECT 1 FROM cases WHERE cases.status = s.status AND (",
        );
        self.cond.walk_ast(out.reborrow())?;
        out.push_sql(") LIMIT ");
        out.push_bind_param::<diesel::sql_types::BigInt, _>(&self.cap)?;
        out.push_sql(") x) FROM unnest(");
        out.push_bind_param::<diesel::sql_types::Array<Text>, _>(&self.statuses)?;
        out.push_sql(") AS s(status)");
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for CappedCounts {}

/// Ids of the most recently received cases (at most `SEARCH_WINDOW`) that
/// match `text` among those `vis` may open.
pub fn search_window(
    conn: &mut PgConnection,
    vis: &Visibility,
    text: &str,
) -> QueryResult<Vec<i64>> {
    // SECURITY: visibility applies inside the window, so cases one may not open
    // neither crowd out nor hint at anything.
    cases::table
        .filter(super::visible(vis))
        .filter(super::matches_text(&normalise_query(text)))
        .order((cases::received_at.desc(), cases::id.desc()))
        .limit(super::SEARCH_WINDOW)
        .select(cases::id)
        .load(conn)
}

/// Which of `ids` the text search found only through their reporter's name
/// or phone: they do not match `text` without them.
pub fn reporter_matches(conn: &mut PgConnection, ids: &[i64], text: &str) -> QueryResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    cases::table
        .filter(cases::id.eq_any(ids))
        .filter(
            sql::<diesel::sql_types::Bool>(
                "NOT to_tsvector('simple', f_unaccent(cases.ref || ' ' || cases.title || ' ' || \
                 cases.description || ' ' || replace(cases.search_extra, \
                 regexp_replace(coalesce(cases.reporter_phone, ''), '[^0-9]', '', 'g'), ''))) \
                 @@ websearch_to_tsquery('simple', f_unaccent(",
            )
            .bind::<diesel::sql_types::Text, _>(normalise_query(text))
            .sql("))"),
        )
        .select(cases::id)
        .load(conn)
}

/// One page of `limit` rows matching `f`, in its sort order: after or before
/// the cursor (keyset: page 2,000 costs what page 2 does), else by offset.
pub fn page(
    conn: &mut PgConnection,
    vis: &Visibility,
    me: i64,
    f: &ListFilter,
    limit: i64,
    now: DateTime<Utc>,
) -> QueryResult<Vec<CaseListItem>> {
    use diesel::sql_types::{BigInt, Timestamptz};
    let mut q = cases::table
        .filter(conditions(vis, me, f, true, now))
        .into_boxed();
    let cursor = f.cursor.filter(|_| f.sort.has_cursor());
    // The key as SQL, and whether it runs newest first.
    let (key, descending) = match f.sort {
        Sort::Updated => ("cases.updated_at", true),
        Sort::Deadline => (NO_DEADLINE_SQL, false),
        _ => ("cases.received_at", true),
    };
    let backwards = matches!(cursor, Some(Cursor::Before(..)));
    if let Some(Cursor::After(at, id) | Cursor::Before(at, id)) = cursor {
        // Past the cursor in reading order: "<" when the order descends.
        let head = match (f.sort, descending != backwards) {
            (Sort::Updated, true) => "(cases.updated_at, cases.id) < (",
            (Sort::Updated, false) => "(cases.updated_at, cases.id) > (",
            (Sort::Deadline, true) => DEADLINE_BEFORE,
            (Sort::Deadline, false) => DEADLINE_AFTER,
            (_, true) => "(cases.received_at, cases.id) < (",
            (_, false) => "(cases.received_at, cases.id) > (",
        };
        q = q.filter(
            fixed::<diesel::sql_types::Bool>(head)
                .bind::<Timestamptz, _>(at, ", ")
                .bind::<BigInt, _>(id, ")"),
        );
    }
    let newest_first = descending != backwards;
    q = match f.sort {
        Sort::Received | Sort::Updated | Sort::Deadline => {
            let key = fixed::<Timestamptz>(key);
            if newest_first {
                q.order((key.desc(), cases::id.desc()))
            } else {
                q.order((key.asc(), cases::id.asc()))
            }
        }
        Sort::Severity => q.order((
            fixed::<diesel::sql_types::Integer>("CASE cases.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"),
            cases::received_at.desc(),
            cases::id.desc(),
        )),
        Sort::Relevance => match &f.q {
            Some(text) => q.order((
                sql::<diesel::sql_types::Float>("ts_rank(cases.search_vec, websearch_to_tsquery('simple', f_unaccent(")
                    .bind::<Text, _>(normalise_query(text))
                    .sql(")))")
                    .desc(),
                cases::received_at.desc(),
                cases::id.desc(),
            )),
            None => q.order((cases::received_at.desc(), cases::id.desc())),
        },
    };
    if cursor.is_none() {
        q = q.offset((f.page.max(1) - 1) * limit);
    }
    let mut rows = q
        .limit(limit)
        .select(CaseListItem::as_select())
        .load(conn)?;
    if backwards {
        rows.reverse();
    }
    Ok(rows)
}

/// Cases `vis` may open per (type, status).
pub fn counts_by_type_and_status(
    conn: &mut PgConnection,
    vis: &Visibility,
) -> QueryResult<Vec<(CaseType, Status, i64)>> {
    cases::table
        .filter(super::visible(vis))
        .group_by((cases::case_type, cases::status))
        .select((cases::case_type, cases::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Ids of every case matching `f` that `vis` may open (statistics over chosen cases).
pub fn ids(
    conn: &mut PgConnection,
    vis: &Visibility,
    me: i64,
    f: &ListFilter,
    now: DateTime<Utc>,
) -> QueryResult<Vec<i64>> {
    cases::table
        .filter(conditions(vis, me, f, true, now))
        .select(cases::id)
        .load(conn)
}

/// How many cases match `f` among those `vis` may open.
pub fn count(
    conn: &mut PgConnection,
    vis: &Visibility,
    me: i64,
    f: &ListFilter,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    cases::table
        .filter(conditions(vis, me, f, true, now))
        .count()
        .get_result(conn)
}

/// One row of a case-list export (the unit's register).
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = cases, check_for_backend(Pg))]
pub struct ExportItem {
    pub id: i64,
    pub ref_: String,
    pub received_at: DateTime<Utc>,
    pub case_type: CaseType,
    pub category_id: Option<i32>,
    pub subcategory_id: Option<i32>,
    pub title: String,
    pub reporter_kind: super::ReporterKind,
    pub reporter_name: Option<String>,
    pub channel: Channel,
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub total_loss: i64,
    pub outcome: Option<super::Outcome>,
}

/// The next `limit` rows matching `f`, newest first, after the row `after`
/// (keyset: each chunk costs the same however deep the export is).
pub fn export_chunk(
    conn: &mut PgConnection,
    vis: &Visibility,
    me: i64,
    f: &ListFilter,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
    now: DateTime<Utc>,
) -> QueryResult<Vec<ExportItem>> {
    let mut q = cases::table
        .filter(conditions(vis, me, f, true, now))
        .into_boxed();
    if let Some((at, id)) = after {
        // A row comparison, so the (unit, received, id) index seeks to the
        // cursor instead of reading every row before it.
        q = q.filter(
            fixed::<diesel::sql_types::Bool>("(cases.received_at, cases.id) < (")
                .bind::<diesel::sql_types::Timestamptz, _>(at, ", ")
                .bind::<diesel::sql_types::BigInt, _>(id, ")"),
        );
    }
    q.order((cases::received_at.desc(), cases::id.desc()))
        .limit(limit)
        .select(ExportItem::as_select())
        .load(conn)
}
