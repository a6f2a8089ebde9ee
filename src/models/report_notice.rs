//! `report_notices`: which person has been told of which public report, so
//! nobody gets two mails about one report, whatever notice they switch to.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{report_notices, submissions};
use crate::models::submission::{SubmissionKind, SubmissionStatus};

/// Records that `user_ids` were told of `submission_id`; returns those not
/// told before (the ones to mail).
pub fn claim(
    conn: &mut PgConnection,
    submission_id: i64,
    user_ids: &[i64],
) -> QueryResult<Vec<i64>> {
    let rows: Vec<_> = user_ids
        .iter()
        .map(|u| {
            (
                report_notices::submission_id.eq(submission_id),
                report_notices::user_id.eq(*u),
            )
        })
        .collect();
    diesel::insert_into(report_notices::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .returning(report_notices::user_id)
        .get_results(conn)
}

/// A report as a summary lists it: no personal data, no narrative.
#[derive(Queryable, Debug, Clone)]
pub struct Unnoticed {
    pub id: i64,
    pub kind: SubmissionKind,
    pub status: SubmissionStatus,
    pub received_at: DateTime<Utc>,
}

/// Reports of their unit received in `[from, to)` that `user_id` has not been told of,
/// oldest first, and records them as told (up to `limit` listed; all are
/// recorded, the summary counts the rest). Returns (listed, total).
pub fn take_unnoticed(
    conn: &mut PgConnection,
    (user_id, unit_id): (i64, i32),
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    limit: usize,
) -> QueryResult<(Vec<Unnoticed>, usize)> {
    let told = report_notices::table
        .filter(report_notices::user_id.eq(user_id))
        .select(report_notices::submission_id);
    let rows: Vec<Unnoticed> = submissions::table
        .filter(submissions::unit_id.eq(unit_id))
        .filter(submissions::received_at.ge(from))
        .filter(submissions::received_at.lt(to))
        .filter(submissions::id.ne_all(told))
        .order((submissions::received_at.asc(), submissions::id.asc()))
        .select((
            submissions::id,
            submissions::kind,
            submissions::status,
            submissions::received_at,
        ))
        .load(conn)?;
    let total = rows.len();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let marks: Vec<_> = ids
        .iter()
        .map(|s| {
            (
                report_notices::submission_id.eq(*s),
                report_notices::user_id.eq(user_id),
            )
        })
        .collect();
    // Postgres takes at most 65,535 parameters per statement.
    for chunk in marks.chunks(10_000) {
        diesel::insert_into(report_notices::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok((rows.into_iter().take(limit).collect(), total))
}
