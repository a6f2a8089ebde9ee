//! `case_transfers`: cases passed from one unit to another, and what the
//! sending unit keeps of each.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{case_transfers, cases, identifier_links, submissions};

crate::code_enum!(
    TransferState, "transfer-state" {
        Pending => "pending",
        Accepted => "accepted",
        Returned => "returned",
    }
);
crate::sql_text!(TransferState);

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = case_transfers, check_for_backend(Pg))]
pub struct Transfer {
    pub id: i64,
    pub case_id: i64,
    pub from_unit: i32,
    pub to_unit: i32,
    pub state: TransferState,
    pub note: String,
    pub reason: Option<String>,
    pub sent_by: i64,
    pub sent_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub case_ref: String,
    pub case_title: String,
}

#[derive(Insertable)]
#[diesel(table_name = case_transfers)]
pub struct NewTransfer<'a> {
    pub case_id: i64,
    pub from_unit: i32,
    pub to_unit: i32,
    pub note: &'a str,
    pub sent_by: i64,
    pub case_ref: &'a str,
    pub case_title: &'a str,
}

pub fn insert(conn: &mut PgConnection, new: &NewTransfer) -> QueryResult<Transfer> {
    diesel::insert_into(case_transfers::table)
        .values(new)
        .returning(Transfer::as_returning())
        .get_result(conn)
}

/// The transfer, locked for the rest of the transaction.
pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<Transfer> {
    case_transfers::table
        .find(id)
        .for_update()
        .select(Transfer::as_select())
        .first(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Transfer> {
    case_transfers::table
        .find(id)
        .select(Transfer::as_select())
        .first(conn)
}

/// The pending transfer of a case, if any.
pub fn pending_of(conn: &mut PgConnection, case_id: i64) -> QueryResult<Option<Transfer>> {
    case_transfers::table
        .filter(case_transfers::case_id.eq(case_id))
        .filter(case_transfers::state.eq(TransferState::Pending))
        .select(Transfer::as_select())
        .first(conn)
        .optional()
}

/// Transfers waiting for `unit` to accept or return them, oldest first.
pub fn waiting_for(conn: &mut PgConnection, unit: i32, limit: i64) -> QueryResult<Vec<Transfer>> {
    case_transfers::table
        .filter(case_transfers::to_unit.eq(unit))
        .filter(case_transfers::state.eq(TransferState::Pending))
        .order((case_transfers::sent_at.asc(), case_transfers::id.asc()))
        .limit(limit)
        .select(Transfer::as_select())
        .load(conn)
}

/// What `unit` sent, newest first.
pub fn sent_by_unit(conn: &mut PgConnection, unit: i32, limit: i64) -> QueryResult<Vec<Transfer>> {
    case_transfers::table
        .filter(case_transfers::from_unit.eq(unit))
        .order((case_transfers::sent_at.desc(), case_transfers::id.desc()))
        .limit(limit)
        .select(Transfer::as_select())
        .load(conn)
}

/// What a unit sent, filtered: by state and by the time sent (`[from, to)`).
#[derive(Clone, Debug, Default)]
pub struct SentFilter {
    pub unit: i32,
    pub state: Option<TransferState>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn sent_matching(f: &SentFilter) -> case_transfers::BoxedQuery<'static, Pg> {
    let mut q = case_transfers::table
        .filter(case_transfers::from_unit.eq(f.unit))
        .into_boxed();
    if let Some(s) = f.state {
        q = q.filter(case_transfers::state.eq(s));
    }
    if let Some(from) = f.from {
        q = q.filter(case_transfers::sent_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(case_transfers::sent_at.lt(to));
    }
    q
}

/// One page of `f`, newest first, sent before the cursor `before`.
pub fn sent_page(
    conn: &mut PgConnection,
    f: &SentFilter,
    before: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> QueryResult<Vec<Transfer>> {
    let mut q = sent_matching(f);
    if let Some((at, id)) = before {
        q = q.filter(
            case_transfers::sent_at.lt(at).or(case_transfers::sent_at
                .eq(at)
                .and(case_transfers::id.lt(id))),
        );
    }
    q.order((case_transfers::sent_at.desc(), case_transfers::id.desc()))
        .limit(limit)
        .select(Transfer::as_select())
        .load(conn)
}

/// How many transfers match `f`.
pub fn sent_count(conn: &mut PgConnection, f: &SentFilter) -> QueryResult<i64> {
    sent_matching(f).count().get_result(conn)
}

/// Records the receiving unit's decision.
pub fn decide(
    conn: &mut PgConnection,
    id: i64,
    state: TransferState,
    by: i64,
    reason: Option<&str>,
) -> QueryResult<Transfer> {
    diesel::update(case_transfers::table.find(id))
        .set((
            case_transfers::state.eq(state),
            case_transfers::decided_by.eq(Some(by)),
            case_transfers::decided_at.eq(Some(Utc::now())),
            case_transfers::reason.eq(reason),
        ))
        .returning(Transfer::as_returning())
        .get_result(conn)
}

/// Moves an accepted case to `unit`, with its identifier links and the public
/// reports it came from: unassigned, in the queue of `team` (the team of
/// whoever accepted it).
pub fn move_case(
    conn: &mut PgConnection,
    case_id: i64,
    unit: i32,
    team: Option<&str>,
) -> QueryResult<()> {
    diesel::update(cases::table.find(case_id))
        .set((
            cases::unit_id.eq(unit),
            cases::assignee_id.eq(None::<i64>),
            cases::team.eq(team),
            cases::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    diesel::update(submissions::table.filter(submissions::case_id.eq(case_id)))
        .set(submissions::unit_id.eq(unit))
        .execute(conn)?;
    let from_reports = submissions::table
        .filter(submissions::case_id.eq(case_id))
        .select(submissions::id);
    diesel::update(
        identifier_links::table.filter(
            identifier_links::case_id
                .eq(case_id)
                .or(identifier_links::submission_id
                    .assume_not_null()
                    .eq_any(from_reports)),
        ),
    )
    .set(identifier_links::unit_id.eq(unit))
    .execute(conn)?;
    Ok(())
}

/// Transfers a unit sent in `[from, to)`, per state (statistics).
pub fn sent_counts(
    conn: &mut PgConnection,
    unit: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(String, i64)>> {
    case_transfers::table
        .filter(case_transfers::from_unit.eq(unit))
        .filter(case_transfers::sent_at.ge(from))
        .filter(case_transfers::sent_at.lt(to))
        .group_by(case_transfers::state)
        .select((case_transfers::state, diesel::dsl::count_star()))
        .load(conn)
}
