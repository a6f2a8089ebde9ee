//! What the home page shows: the user's own open cases by deadline, for
//! supervisors the unassigned queue and what is overdue across the unit, counts,
//! and recently updated cases the user follows; for administrators, the accounts.

use std::collections::HashMap;

use diesel::PgConnection;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::cache::Caches;
use crate::error::AppError;
use crate::models::{
    audit::{self, AuditEntry, AuditFilter},
    case::{CaseType, Status},
    user::{self, UserFilter},
};
use crate::services::case_list::{
    self, AssigneeFilter, CaseListItem, DeadlineFilter, ListFilter, Sort,
};

/// Rows shown per panel.
const PANEL: i64 = 10;

pub struct Panel {
    pub rows: Vec<CaseListItem>,
    pub names: HashMap<i64, String>,
}

pub struct Dashboard {
    pub my_cases: Option<Panel>,
    pub unassigned: Option<Panel>,
    pub overdue: Option<Panel>,
    pub following: Option<Panel>,
    /// (type, open, total) for the cases the user may see.
    pub by_type: Vec<(CaseType, i64, i64)>,
    /// (status, count) of visible cases.
    pub by_status: Vec<(Status, i64)>,
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

fn panel(
    conn: &mut PgConnection,
    me: &CurrentUser,
    f: ListFilter,
    caches: &Caches,
) -> Result<Option<Panel>, AppError> {
    let (rows, names) = case_list::rows(conn, me, &f, PANEL, caches)?;
    Ok(Some(Panel { rows, names }))
}

/// Loads the dashboard for `me`.
pub fn load(
    conn: &mut PgConnection,
    me: &CurrentUser,
    caches: &Caches,
) -> Result<Dashboard, AppError> {
    let works = policy::allows(me.role, Action::WorkCases);
    let supervises = policy::allows(me.role, Action::SuperviseCases);
    let open = || ListFilter {
        statuses: Status::open(),
        sort: Sort::Deadline,
        page: 1,
        ..Default::default()
    };
    let my_cases = if works {
        panel(
            conn,
            me,
            ListFilter {
                assignee: Some(AssigneeFilter::Me),
                ..open()
            },
            caches,
        )?
    } else {
        None
    };
    let unassigned = if supervises {
        panel(
            conn,
            me,
            ListFilter {
                assignee: Some(AssigneeFilter::Nobody),
                ..open()
            },
            caches,
        )?
    } else {
        None
    };
    let overdue = if supervises {
        panel(
            conn,
            me,
            ListFilter {
                deadline: Some(DeadlineFilter::Overdue),
                ..open()
            },
            caches,
        )?
    } else {
        None
    };
    let following = if works {
        panel(
            conn,
            me,
            ListFilter {
                statuses: Vec::new(),
                watching: true,
                sort: Sort::Updated,
                page: 1,
                ..Default::default()
            },
            caches,
        )?
    } else {
        None
    };
    let (mut by_type, mut by_status) = (Vec::new(), Vec::new());
    if works {
        let counts = case_list::counts_by_type_and_status(conn, me)?;
        for t in CaseType::ALL {
            let total: i64 = counts
                .iter()
                .filter(|(ct, _, _)| ct == t)
                .map(|(_, _, n)| n)
                .sum();
            let open: i64 = counts
                .iter()
                .filter(|(ct, s, _)| ct == t && !s.is_final())
                .map(|(_, _, n)| n)
                .sum();
            by_type.push((*t, open, total));
        }
        for s in Status::ALL {
            let n: i64 = counts
                .iter()
                .filter(|(_, st, _)| st == s)
                .map(|(_, _, n)| n)
                .sum();
            if n > 0 {
                by_status.push((*s, n));
            }
        }
    }
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
        my_cases,
        unassigned,
        overdue,
        following,
        by_type,
        by_status,
        my_activity,
        accounts,
    })
}
