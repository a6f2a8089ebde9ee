//! The one place that answers "may this user do X?". Handlers and templates ask
//! here; nothing else compares roles. Deny by default: an action missing from the
//! table is refused for everyone.

use crate::auth::CurrentUser;
use crate::domain::workflow::{Move, Who};
use crate::error::AppError;
use crate::models::case::{Case, Visibility};
use crate::models::user::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See the dashboard and one's own profile.
    UseApp,
    /// List, create, edit, deactivate users and reset their passwords.
    ManageUsers,
    /// Browse the audit log.
    ViewAuditLog,
    /// Create cases and work those one may see (`docs/domain.md` §1).
    WorkCases,
    /// Everything on every case: assign, approve closing, extend, reopen, merge.
    SuperviseCases,
    /// Edit reference data: categories and deadline rules.
    ManageReferenceData,
    /// See the mail outbox and retry failed mails.
    ManageMail,
    /// Keep the records of police units.
    ManageUnits,
    /// Read identifier correlation and hot lists across all units, without
    /// any case's contents (the ministry's cyber department).
    ReadNationalCorrelation,
    /// Import the previous agency's registers into a unit (`docs/domain.md` §14).
    ImportRecords,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::UseApp,
        Action::ManageUsers,
        Action::ViewAuditLog,
        Action::WorkCases,
        Action::SuperviseCases,
        Action::ManageReferenceData,
        Action::ManageMail,
        Action::ManageUnits,
        Action::ReadNationalCorrelation,
        Action::ImportRecords,
    ];
}

/// The role × action table (`docs/domain.md` §1).
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        UseApp => true,
        ManageUsers => role == Role::Admin,
        ViewAuditLog => role == Role::Admin,
        WorkCases => matches!(role, Role::Supervisor | Role::Officer),
        SuperviseCases => role == Role::Supervisor,
        ManageReferenceData => role == Role::Admin,
        ManageMail => role == Role::Admin,
        ManageUnits => role == Role::Admin,
        ReadNationalCorrelation => role == Role::NationalAnalyst,
        ImportRecords => role == Role::Admin,
    }
}

/// Whether `user` works the intake queue of public submissions: supervisors,
/// and officers while on duty (`docs/domain.md` §1).
pub fn can_triage(user: &CurrentUser) -> bool {
    user.role == Role::Supervisor || (user.role == Role::Officer && user.on_duty)
}

/// `Ok` when `user` may do `action`, else `Forbidden`.
pub fn require(user: &CurrentUser, action: Action) -> Result<(), AppError> {
    if allows(user.role, action) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// What case lists, counts and search may show `user`.
pub fn case_visibility(user: &CurrentUser) -> Visibility {
    if allows(user.role, Action::SuperviseCases) {
        Visibility::Unit {
            unit_id: user.unit_id,
        }
    } else if allows(user.role, Action::WorkCases) {
        Visibility::Officer {
            unit_id: user.unit_id,
            user_id: user.id,
            team: user.team.clone(),
        }
    } else {
        Visibility::Nothing
    }
}

/// The same rule as `case_visibility`, for one loaded case.
pub fn can_view_case(user: &CurrentUser, case: &Case, is_watcher: bool) -> bool {
    match case_visibility(user) {
        Visibility::Unit { unit_id } => case.unit_id == unit_id,
        Visibility::Nothing => false,
        Visibility::Officer {
            unit_id,
            user_id,
            team,
        } => {
            case.unit_id == unit_id
                && (case.assignee_id == Some(user_id)
                    || (!case.restricted
                        && (case.created_by == user_id
                            || is_watcher
                            || (team.is_some() && case.team == team))))
        }
    }
}

/// May `user` work on the case: edit it, make worker moves, add notes? Supervisors
/// always; the assignee; and, while nobody is assigned, officers who may see it.
pub fn can_work_case(user: &CurrentUser, case: &Case, is_watcher: bool) -> bool {
    if allows(user.role, Action::SuperviseCases) {
        return true;
    }
    allows(user.role, Action::WorkCases)
        && (case.assignee_id == Some(user.id)
            || (case.assignee_id.is_none() && can_view_case(user, case, is_watcher)))
}

/// May `user` make this workflow move on the case?
pub fn can_make(user: &CurrentUser, case: &Case, mv: &Move, is_watcher: bool) -> bool {
    match mv.who {
        Who::Supervisor => allows(user.role, Action::SuperviseCases),
        Who::Worker => can_work_case(user, case, is_watcher),
    }
}

/// An officer may take an unassigned case of their own team.
pub fn can_take_case(user: &CurrentUser, case: &Case) -> bool {
    allows(user.role, Action::WorkCases)
        && case.assignee_id.is_none()
        && !case.status.is_final()
        && user.team.is_some()
        && case.team == user.team
}
