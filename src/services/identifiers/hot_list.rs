//! The hot list: the identifiers reported most in the last 7, 30 or 90 days,
//! for warnings to banks and operators. Computed ahead by housekeeping
//! (`models::hot_identifier`), recomputed here when it is stale.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::auth::{policy, CurrentUser};
use crate::error::AppError;
use crate::models::hot_identifier::{self, Hot};

pub const HOT_WINDOWS: &[i64] = &[7, 30, 90];

/// A list older than this is recomputed before it is shown; housekeeping
/// refreshes every window more often than that, so pages rarely wait.
pub const HOT_MAX_AGE_MINUTES: i64 = 10;

/// Refreshes every window whose list is older than `older_than` (housekeeping).
pub fn refresh_hot_lists(conn: &mut PgConnection, older_than: Duration) -> QueryResult<usize> {
    let mut n = 0;
    for days in HOT_WINDOWS {
        if hot_identifier::computed_at(conn, *days)?.is_none_or(|at| at < Utc::now() - older_than)
            && hot_identifier::refresh(conn, *days)?
        {
            n += 1;
        }
    }
    Ok(n)
}

/// The identifiers reported most in the last `days`, for warnings to banks and
/// operators, and when the list was computed. Unit-wide counts, so
/// supervisors only: they may open every case.
pub fn hot(
    conn: &mut PgConnection,
    me: &CurrentUser,
    days: i64,
    limit: i64,
) -> Result<(Vec<Hot>, Option<DateTime<Utc>>), AppError> {
    policy::require(me, policy::Action::SuperviseCases)?;
    if hot_identifier::computed_at(conn, days)?
        .is_none_or(|at| at < Utc::now() - Duration::minutes(HOT_MAX_AGE_MINUTES))
    {
        hot_identifier::refresh(conn, days)?;
    }
    let rows = hot_identifier::top(conn, days, limit)?;
    Ok((rows, hot_identifier::computed_at(conn, days)?))
}
