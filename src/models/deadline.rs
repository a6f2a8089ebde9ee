//! `deadline_rules` (editable legal clocks) and `case_deadlines` (each case's clocks).

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{case_deadlines, deadline_rules};
use crate::models::case::CaseType;

crate::text_enum!(
    /// What a clock measures; the code decides when it is met.
    ClockKind, "clock" {
        Classify => "classify",
        Assign => "assign",
        Decide => "decide",
        FinalReport => "final_report",
        Notify => "notify",
    }
);

crate::text_enum!(Unit, "unit" { Hours => "hours", Days => "days" });

crate::text_enum!(StartsFrom, "starts" { Received => "received", Occurred => "occurred", Resolved => "resolved" });

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = deadline_rules, check_for_backend(Pg))]
pub struct Rule {
    pub id: i32,
    pub case_type: CaseType,
    pub kind: ClockKind,
    pub amount: i32,
    pub unit: Unit,
    pub starts_from: StartsFrom,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
    /// Whose legal basis the rule applies (`docs/domain.md` §18).
    pub basis_topic: Option<crate::models::legal_basis::Topic>,
}

pub fn rules(conn: &mut PgConnection) -> QueryResult<Vec<Rule>> {
    deadline_rules::table
        .order(deadline_rules::id.asc())
        .select(Rule::as_select())
        .load(conn)
}

pub fn active_rules_for(conn: &mut PgConnection, case_type: CaseType) -> QueryResult<Vec<Rule>> {
    deadline_rules::table
        .filter(deadline_rules::case_type.eq(case_type.code()))
        .filter(deadline_rules::active.eq(true))
        .select(Rule::as_select())
        .load(conn)
}

pub fn update_rule(
    conn: &mut PgConnection,
    id: i32,
    amount: i32,
    unit: Unit,
    active: bool,
) -> QueryResult<Rule> {
    diesel::update(deadline_rules::table.find(id))
        .set((
            deadline_rules::amount.eq(amount),
            deadline_rules::unit.eq(unit),
            deadline_rules::active.eq(active),
            deadline_rules::updated_at.eq(Utc::now()),
        ))
        .returning(Rule::as_returning())
        .get_result(conn)
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = case_deadlines, check_for_backend(Pg))]
pub struct Clock {
    pub id: i64,
    pub kind: ClockKind,
    pub starts_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub extensions: i32,
    pub met_at: Option<DateTime<Utc>>,
    /// Before any extension (unknown for clocks extended before it was kept).
    pub first_due_at: Option<DateTime<Utc>>,
}

impl Clock {
    /// The due date before extensions: as kept, else the due date if never
    /// extended, else (not known) the current one.
    pub fn first_due(&self) -> DateTime<Utc> {
        self.first_due_at.unwrap_or(self.due_at)
    }
}

pub fn clocks(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<Clock>> {
    case_deadlines::table
        .filter(case_deadlines::case_id.eq(case_id))
        .order(case_deadlines::due_at.asc())
        .select(Clock::as_select())
        .load(conn)
}

/// Starts a clock (no-op when the case already has one of this kind).
pub fn start(
    conn: &mut PgConnection,
    case_id: i64,
    kind: ClockKind,
    starts_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::insert_into(case_deadlines::table)
        .values((
            case_deadlines::case_id.eq(case_id),
            case_deadlines::kind.eq(kind),
            case_deadlines::starts_at.eq(starts_at),
            case_deadlines::due_at.eq(due_at),
            case_deadlines::first_due_at.eq(due_at),
        ))
        .on_conflict((case_deadlines::case_id, case_deadlines::kind))
        .do_nothing()
        .execute(conn)
}

/// Marks unmet clocks of these kinds as met now.
pub fn meet(
    conn: &mut PgConnection,
    case_id: i64,
    kinds: &[ClockKind],
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        case_deadlines::table
            .filter(case_deadlines::case_id.eq(case_id))
            .filter(case_deadlines::kind.eq_any(kinds.to_vec()))
            .filter(case_deadlines::met_at.is_null()),
    )
    .set(case_deadlines::met_at.eq(at))
    .execute(conn)
}

pub fn extend(conn: &mut PgConnection, clock_id: i64, due_at: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(case_deadlines::table.find(clock_id))
        .set((
            case_deadlines::due_at.eq(due_at),
            case_deadlines::extensions.eq(case_deadlines::extensions + 1),
        ))
        .execute(conn)
}

/// A clock of an imported case, met or not already.
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = case_deadlines)]
pub struct NewClock {
    pub case_id: i64,
    pub kind: ClockKind,
    pub starts_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub first_due_at: Option<DateTime<Utc>>,
    pub met_at: Option<DateTime<Utc>>,
}

/// Many clocks in one statement (the import's batches).
pub fn insert_many(conn: &mut PgConnection, clocks: &[NewClock]) -> QueryResult<usize> {
    if clocks.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(case_deadlines::table)
        .values(clocks)
        .on_conflict((case_deadlines::case_id, case_deadlines::kind))
        .do_nothing()
        .execute(conn)
}
