//! What the home page shows. Case panels arrive with case management; for now:
//! the user's own recent activity and, for administrators, the accounts.

use diesel::PgConnection;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::error::AppError;
use crate::models::{
    audit::{self, AuditEntry, AuditFilter},
    user::{self, UserFilter},
};

pub struct Dashboard {
    /// The user's own last actions (sign-ins, changes).
    pub my_activity: Vec<AuditEntry>,
    /// Active accounts by role, for administrators.
    pub accounts: Option<AccountCounts>,
}

pub struct AccountCounts {
    pub admins: i64,
    pub supervisors: i64,
    pub officers: i64,
    pub inactive: i64,
}

/// Loads the dashboard for `me`.
pub fn load(conn: &mut PgConnection, me: &CurrentUser) -> Result<Dashboard, AppError> {
    let filter = AuditFilter {
        actor_id: Some(me.id),
        ..Default::default()
    };
    let my_activity = audit::list(conn, &filter, None, 8)?
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let accounts = if policy::allows(me.role, Action::ManageUsers) {
        let count = |conn: &mut PgConnection, role, active| -> Result<i64, AppError> {
            Ok(user::count(
                conn,
                &UserFilter {
                    q: None,
                    role,
                    active: Some(active),
                },
            )?)
        };
        Some(AccountCounts {
            admins: count(conn, Some(user::Role::Admin), true)?,
            supervisors: count(conn, Some(user::Role::Supervisor), true)?,
            officers: count(conn, Some(user::Role::Officer), true)?,
            inactive: count(conn, None, false)?,
        })
    } else {
        None
    };
    Ok(Dashboard {
        my_activity,
        accounts,
    })
}
