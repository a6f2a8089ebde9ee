//! `report_summary_runs`: one row per unit and summary period of new public
//! reports queued, so one instance queues it, once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::report_summary_runs;

/// Claims unit `unit_id`'s period of `cadence` ending at `period_end`: false
/// when another instance already did.
pub fn claim(
    conn: &mut PgConnection,
    cadence: &str,
    unit_id: i32,
    period_end: DateTime<Utc>,
) -> QueryResult<bool> {
    let won = diesel::insert_into(report_summary_runs::table)
        .values((
            report_summary_runs::cadence.eq(cadence),
            report_summary_runs::unit_id.eq(unit_id),
            report_summary_runs::period_end.eq(period_end),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(won > 0)
}
