//! `mail_digest_runs`: one row per unit and local day whose deadline digests
//! were queued, so one instance queues them, once.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::mail_digest_runs;

/// Claims (`unit_id`, `day`) for this instance: false when another already did.
pub fn claim(conn: &mut PgConnection, unit_id: i32, day: NaiveDate) -> QueryResult<bool> {
    let won = diesel::insert_into(mail_digest_runs::table)
        .values((
            mail_digest_runs::unit_id.eq(unit_id),
            mail_digest_runs::day.eq(day),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(won > 0)
}
