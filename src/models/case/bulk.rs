//! Many cases at once, for the handover import: one statement per batch for
//! the cases, one for their money rows, numbers reserved per type and year.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{CaseFields, CaseType, NewCaseMeta, Outcome, Status, Transaction};
use crate::db::schema::{case_sequences, case_transactions, cases};

/// What an imported case carries beyond a new one: where it had got to.
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = cases, treat_none_as_null = true)]
pub struct ImportedState {
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub outcome: Option<Outcome>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decide_compliance: Option<String>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub deadline_kind: Option<String>,
}

/// Inserts the cases in one statement; their ids in the order given.
pub fn insert_many(
    conn: &mut PgConnection,
    rows: &[(NewCaseMeta<'_>, CaseFields, ImportedState)],
) -> QueryResult<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<_> = rows.iter().map(|(m, f, s)| (m, f, s)).collect();
    // RETURNING follows the VALUES order in PostgreSQL's INSERT.
    diesel::insert_into(cases::table)
        .values(values)
        .returning(cases::id)
        .get_results(conn)
}

/// Reserves `n` reference numbers of a type and year; the first of them.
pub fn reserve_seqs(
    conn: &mut PgConnection,
    unit_id: i32,
    case_type: CaseType,
    year: i32,
    n: i32,
) -> QueryResult<i32> {
    let last: i32 = diesel::insert_into(case_sequences::table)
        .values((
            case_sequences::unit_id.eq(unit_id),
            case_sequences::case_type.eq(case_type.code()),
            case_sequences::year.eq(year),
            case_sequences::last_seq.eq(n),
        ))
        .on_conflict((
            case_sequences::unit_id,
            case_sequences::case_type,
            case_sequences::year,
        ))
        .do_update()
        .set(case_sequences::last_seq.eq(case_sequences::last_seq + n))
        .returning(case_sequences::last_seq)
        .get_result(conn)?;
    Ok(last - n + 1)
}

/// Money rows of many cases.
pub fn insert_transactions(
    conn: &mut PgConnection,
    rows: &[(i64, Transaction)],
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let values: Vec<_> = rows
        .iter()
        .map(|(case_id, t)| (case_transactions::case_id.eq(*case_id), t))
        .collect();
    diesel::insert_into(case_transactions::table)
        .values(values)
        .execute(conn)
}
