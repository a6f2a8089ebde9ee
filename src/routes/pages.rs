//! What every page template gets: language, user, CSRF token, flash, unit name.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::auth::{
    policy::{self, Action},
    CurrentUser,
};
use crate::i18n::{self, Lang};
use crate::models::legal_basis::{self, LegalBasis};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct LayoutCtx {
    pub lang: Lang,
    pub user: Option<CurrentUser>,
    pub csrf: String,
    pub flash: Option<String>,
    pub unit_name: String,
    /// Path of the current page (no query), for the language switch's return.
    pub path: String,
    pub tz: Tz,
    /// Every legal basis, for citations (`docs/domain.md` §18).
    pub legal: Arc<Vec<LegalBasis>>,
}

impl LayoutCtx {
    /// Text of a catalogue key in the page's language.
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    /// Text with one `{ $name }` argument.
    pub fn t1(&self, key: &str, name: &str, value: &dyn std::fmt::Display) -> String {
        i18n::t_args(self.lang, key, &[(name, &value.to_string())])
    }

    /// The citation of the basis of `topic` (a `Topic` code) in force today.
    pub fn basis(&self, topic: &str) -> String {
        let today = Utc::now().with_timezone(&self.tz).date_naive();
        topic
            .parse()
            .ok()
            .and_then(|topic| legal_basis::on(&self.legal, topic, today))
            .map(|b| b.citation(self.lang))
            .unwrap_or_default()
    }

    /// The citation of a stored basis (a case's), empty when there is none.
    pub fn basis_by_id(&self, id: &Option<i32>) -> String {
        id.and_then(|id| self.legal.iter().find(|b| b.id == id))
            .map(|b| b.citation(self.lang))
            .unwrap_or_default()
    }

    /// Text of `key` citing the basis of `topic` in force today (`{ $basis }`).
    pub fn cite(&self, key: &str, topic: &str) -> String {
        i18n::t_args(self.lang, key, &[("basis", &self.basis(topic))])
    }

    /// `dd/mm/yyyy HH:MM` in the unit's time zone.
    pub fn dt(&self, dt: &DateTime<Utc>) -> String {
        i18n::fmt_datetime(dt, self.tz)
    }

    /// The machine-readable form of a time, for `<time datetime>`.
    pub fn iso(&self, dt: &DateTime<Utc>) -> String {
        dt.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// A file size for people ("512 B", "1.5 MB").
    pub fn size(&self, bytes: &i64) -> String {
        crate::domain::value::human_size(*bytes)
    }

    /// CSS class of a deadline: overdue, due soon (within 3 days) or on time.
    pub fn deadline_css(&self, due: &DateTime<Utc>) -> &'static str {
        let now = Utc::now();
        if *due < now {
            "overdue"
        } else if *due < now + chrono::Duration::days(3) {
            "due-soon"
        } else {
            "on-time"
        }
    }

    pub fn can_manage_reference(&self) -> bool {
        self.can(Action::ManageReferenceData)
    }

    pub fn can_work_cases(&self) -> bool {
        self.can(Action::WorkCases)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    fn can(&self, action: Action) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| !u.must_change_password && policy::allows(u.role, action))
    }

    pub fn can_read_national(&self) -> bool {
        self.can(Action::ReadNationalCorrelation)
    }

    pub fn can_manage_users(&self) -> bool {
        self.can(Action::ManageUsers)
    }

    pub fn can_view_audit(&self) -> bool {
        self.can(Action::ViewAuditLog)
    }

    pub fn can_triage(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(crate::auth::policy::can_triage)
    }

    pub fn can_manage_mail(&self) -> bool {
        self.can(Action::ManageMail)
    }

    /// Whether the navigation should mark `prefix` as the current section.
    pub fn is_current(&self, prefix: &str) -> bool {
        if prefix == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(prefix)
        }
    }
}
