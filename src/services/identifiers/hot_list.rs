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

/// Refreshes every list (the national one and each active unit's) whose
/// window is older than `older_than` (housekeeping).
pub fn refresh_hot_lists(conn: &mut PgConnection, older_than: Duration) -> QueryResult<usize> {
    let mut scopes = vec![hot_identifier::NATIONAL];
    scopes.extend(
        crate::models::unit::all(conn)?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| u.id),
    );
    let mut n = 0;
    for scope in scopes {
        for days in HOT_WINDOWS {
            if hot_identifier::computed_at(conn, scope, *days)?
                .is_none_or(|at| at < Utc::now() - older_than)
                && hot_identifier::refresh(conn, scope, *days)?
            {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Whose list `me` reads: the national one for national analysts, their
/// unit's for supervisors (they may open every case of it); nobody else's.
pub fn scope_of(me: &CurrentUser) -> Result<i32, AppError> {
    if policy::allows(me.role, policy::Action::ReadNationalCorrelation) {
        Ok(hot_identifier::NATIONAL)
    } else if policy::allows(me.role, policy::Action::SuperviseCases) {
        Ok(me.unit_id)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The whole list of a window as it leaves the system (the CSV, the API),
/// which is audited.
pub fn hot_export(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &crate::auth::RequestMeta,
    days: i64,
) -> Result<(Vec<Hot>, Option<DateTime<Utc>>), AppError> {
    let (rows, at) = hot(conn, me, days, hot_identifier::HOT_KEEP)?;
    crate::models::audit::append(
        conn,
        meta,
        crate::models::audit::NewAudit {
            actor_id: Some(me.id),
            action: "hot_list_export",
            target_type: None,
            target_id: None,
            detail: serde_json::json!({ "days": days, "rows": rows.len() }),
        },
    )?;
    Ok((rows, at))
}

/// The identifiers reported most in the last `days`, for warnings to banks and
/// operators, and when the list was computed.
pub fn hot(
    conn: &mut PgConnection,
    me: &CurrentUser,
    days: i64,
    limit: i64,
) -> Result<(Vec<Hot>, Option<DateTime<Utc>>), AppError> {
    let scope = scope_of(me)?;
    if hot_identifier::computed_at(conn, scope, days)?
        .is_none_or(|at| at < Utc::now() - Duration::minutes(HOT_MAX_AGE_MINUTES))
    {
        hot_identifier::refresh(conn, scope, days)?;
    }
    let rows = hot_identifier::top(conn, scope, days, limit)?;
    Ok((rows, hot_identifier::computed_at(conn, scope, days)?))
}
