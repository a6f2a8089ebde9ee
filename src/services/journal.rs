//! What every change to a case writes besides itself: its audit row and its
//! timeline entry. Shared by every feature that changes cases.

use diesel::PgConnection;

use crate::auth::{CurrentUser, RequestMeta};
use crate::error::AppError;
use crate::models::audit::{self, NewAudit};
use crate::models::case::Case;
use crate::models::case_event::{EventKind, NewEvent};

/// The audit row of a change to case `c`, in the caller's transaction.
pub fn audit_row(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    action: &str,
    c: &Case,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: Some(me.id),
            action,
            target_type: Some("case"),
            target_id: Some(c.ref_.clone()),
            detail,
        },
    )?;
    Ok(())
}

/// A timeline entry of case `c` by `me`; callers fill in the rest.
pub fn event(c: &Case, me: &CurrentUser, kind: EventKind) -> NewEvent {
    NewEvent {
        case_id: c.id,
        actor_id: Some(me.id),
        kind: Some(kind),
        ..Default::default()
    }
}
