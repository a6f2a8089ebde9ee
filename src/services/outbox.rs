//! Administration of the mail outbox.

use chrono::Utc;
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::error::AppError;
use crate::i18n::k;
use crate::models::audit::{self, NewAudit};
use crate::models::outbox;

/// Puts a failed mail back in the queue, due now, with a fresh attempt count.
pub fn retry(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
) -> Result<(), AppError> {
    policy::require(me, Action::ManageMail)?;
    conn.transaction(|conn| {
        let mail = outbox::find(conn, id)?;
        if !outbox::retry_now(conn, id, Utc::now())? {
            return Err(AppError::Conflict(k("mail-retry-not-failed")));
        }
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: "mail_retry",
                target_type: Some("mail"),
                target_id: Some(id.to_string()),
                detail: json!({ "kind": mail.kind, "attempts": mail.attempts }),
            },
        )?;
        Ok(())
    })
}
