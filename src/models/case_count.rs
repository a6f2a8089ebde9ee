//! `case_counts`: cases per (type, status), kept by a trigger so the default
//! list need not count a million rows on every request.

use diesel::prelude::*;

use crate::db::schema::case_counts;
use crate::models::case::CaseType;

/// (status code, count) rows, of one type or of all (one row per type then).
pub fn by_status(
    conn: &mut PgConnection,
    case_type: Option<CaseType>,
) -> QueryResult<Vec<(String, i64)>> {
    let mut q = case_counts::table.into_boxed();
    if let Some(t) = case_type {
        q = q.filter(case_counts::case_type.eq(t.code()));
    }
    q.select((case_counts::status, case_counts::n)).load(conn)
}
