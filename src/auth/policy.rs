//! The one place that answers "may this user do X?". Handlers and templates ask
//! here; nothing else compares roles. Deny by default: an action missing from the
//! table is refused for everyone.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::models::user::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See the dashboard and one's own profile.
    UseApp,
    /// List, create, edit, deactivate users and reset their passwords.
    ManageUsers,
    /// Browse the audit log.
    ViewAuditLog,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::UseApp, Action::ManageUsers, Action::ViewAuditLog];
}

/// The role × action table (DESIGN.md §1).
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        UseApp => true,
        ManageUsers => role == Role::Admin,
        ViewAuditLog => role == Role::Admin,
    }
}

/// `Ok` when `user` may do `action`, else `Forbidden`.
pub fn require(user: &CurrentUser, action: Action) -> Result<(), AppError> {
    if allows(user.role, action) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
