//! `case_counts`: cases per (unit, type, status), kept by a trigger so the
//! default list need not count a million rows on every request.

use diesel::prelude::*;

use crate::db::schema::case_counts;
use crate::models::case::CaseType;

/// (status code, count) rows of a unit, of one type or of all (one row per
/// type then).
pub fn by_status(
    conn: &mut PgConnection,
    unit_id: i32,
    case_type: Option<CaseType>,
) -> QueryResult<Vec<(String, i64)>> {
    let mut q = case_counts::table
        .filter(case_counts::unit_id.eq(unit_id))
        .into_boxed();
    if let Some(t) = case_type {
        q = q.filter(case_counts::case_type.eq(t.code()));
    }
    q.select((case_counts::status, case_counts::n)).load(conn)
}

/// (type code, status code, count) of a unit's cases, every row.
pub fn by_type_and_status(
    conn: &mut PgConnection,
    unit_id: i32,
) -> QueryResult<Vec<(String, String, i64)>> {
    case_counts::table
        .filter(case_counts::unit_id.eq(unit_id))
        .filter(case_counts::n.gt(0))
        .select((case_counts::case_type, case_counts::status, case_counts::n))
        .load(conn)
}
