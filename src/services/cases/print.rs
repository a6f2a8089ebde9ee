//! The printed forms of a case: the case file (what the case page shows, the
//! timeline oldest first, with a custody summary of each exhibit) and the two
//! official documents filled from a crime report: the intake record and the
//! notice of the outcome to the reporter (BLTTHS arts. 144–147).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::PgConnection;

use super::activity::log_reporter_view;
use super::view::{view, CaseView};
use crate::auth::{CurrentUser, RequestMeta};
use crate::cache::Caches;
use crate::error::AppError;
use crate::i18n::{k, MsgKey};
use crate::models::{
    case::{self, Case, CaseType, Outcome, Status, Transaction},
    case_recovery::RecoveryKind,
    exhibit::{CustodyAction, CustodyEvent},
};
use crate::services::access::load_visible;
use crate::services::exhibits;

/// What the custody log of one exhibit comes to, for the case file (the full
/// log is the custody report).
pub struct CustodySummary {
    pub exhibit_id: i64,
    /// Every step logged, receipt included.
    pub steps: usize,
    pub downloads: usize,
    pub handovers: usize,
    /// The latest hash check: when, and whether the file still matched.
    pub last_check: Option<(DateTime<Utc>, bool)>,
    /// The latest step: what, when, by whom (empty: the reporter).
    pub last: Option<(CustodyAction, DateTime<Utc>, String)>,
}

/// The case file: the case page's view (same visibility, same audited reveal
/// of the reporter) with the custody logs loaded and summed up.
pub struct CaseFile {
    pub v: CaseView,
    /// One per exhibit, in the order of `v.evidence.exhibits`.
    pub custody: Vec<CustodySummary>,
    pub frozen: i64,
    pub returned: i64,
}

impl CaseFile {
    pub fn custody_of(&self, exhibit_id: &i64) -> Option<&CustodySummary> {
        self.custody.iter().find(|s| s.exhibit_id == *exhibit_id)
    }
}

fn summarise(
    exhibit_id: i64,
    log: &[&CustodyEvent],
    name: &dyn Fn(i64) -> String,
) -> CustodySummary {
    let count = |a: CustodyAction| log.iter().filter(|e| e.action == a).count();
    let last_check = log
        .iter()
        .filter(|e| e.hash_ok.is_some())
        .max_by_key(|e| (e.at, e.id))
        .and_then(|e| e.hash_ok.map(|ok| (e.at, ok)));
    let last = log
        .iter()
        .max_by_key(|e| (e.at, e.id))
        .map(|e| (e.action, e.at, e.actor_id.map(name).unwrap_or_default()));
    CustodySummary {
        exhibit_id,
        steps: log.len(),
        downloads: count(CustodyAction::Downloaded),
        handovers: count(CustodyAction::Exported),
        last_check,
        last,
    }
}

/// Loads the printable case file. It is the case page's view model
/// (`view`), so a case `me` may not open is a 404 and asking for the
/// reporter's details writes the same audit row as on the case page; the
/// timeline runs oldest first, as a file is read.
pub fn case_file(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    caches: &Caches,
    show_reporter: bool,
) -> Result<CaseFile, AppError> {
    let mut v = view(conn, me, meta, reference, caches, show_reporter, false)?;
    v.evidence = exhibits::of_case(conn, v.case.id, true)?;
    let ids: Vec<i64> = v
        .evidence
        .custody
        .iter()
        .filter_map(|e| e.actor_id)
        .collect();
    let dir = caches.directory(conn, &ids)?;
    let name = |id: i64| dir.name(id);
    let custody = v
        .evidence
        .exhibits
        .iter()
        .map(|x| summarise(x.id, &v.evidence.log_of(&x.id), &name))
        .collect();
    let sum = |kind: RecoveryKind| {
        v.recoveries
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.amount)
            .sum()
    };
    let (frozen, returned) = (sum(RecoveryKind::Frozen), sum(RecoveryKind::Returned));
    Ok(CaseFile {
        v,
        custody,
        frozen,
        returned,
    })
}

/// What the notice of the outcome tells the reporter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// Decided: the outcome, with the resolution summary.
    Decided(Outcome, Option<String>),
    /// Sent to the competent body (BLTTHS art. 146): the receiving agency.
    Transferred(String),
}

impl Finding {
    /// The outcome as a sentence for the reporter.
    pub fn sentence_key(&self) -> MsgKey {
        match self {
            Finding::Decided(Outcome::Prosecuted, _) => k("notice-outcome-prosecuted"),
            Finding::Decided(Outcome::NotProsecuted, _) => k("notice-outcome-not_prosecuted"),
            Finding::Decided(Outcome::AdministrativeFine, _) => {
                k("notice-outcome-administrative_fine")
            }
            Finding::Decided(Outcome::Remediated, _) => k("notice-outcome-remediated"),
            Finding::Decided(Outcome::NoViolation, _) => k("notice-outcome-no_violation"),
            Finding::Transferred(_) => k("notice-outcome-transferred"),
        }
    }
}

/// What a notice of the outcome may say about `c`: only once it is resolved
/// or closed with an outcome, or transferred (a transferred case that was
/// then closed keeps its receiving agency); otherwise nothing.
pub fn finding(c: &Case) -> Option<Finding> {
    match (c.status, c.outcome, &c.receiving_agency) {
        (Status::Resolved | Status::Closed, Some(o), _) => {
            Some(Finding::Decided(o, c.resolution_summary.clone()))
        }
        (Status::Transferred | Status::Closed, None, Some(agency)) => {
            Some(Finding::Transferred(agency.clone()))
        }
        _ => None,
    }
}

/// Whether the case page offers the notice of the outcome.
pub fn has_outcome_notice(c: &Case) -> bool {
    c.case_type == CaseType::CrimeReport && finding(c).is_some()
}

/// An official document filled from a crime report.
pub struct OfficialDoc {
    pub case: Case,
    pub txs: Vec<Transaction>,
    /// The officer who received the report (the case's creator).
    pub received_by: String,
    /// The day of receipt in the unit's time zone.
    pub received_on: NaiveDate,
    /// The legal basis the case stored when it was received (none for a
    /// report older than the oldest basis on record).
    pub basis: Option<crate::models::legal_basis::LegalBasis>,
    /// Set for the notice of the outcome.
    pub finding: Option<Finding>,
}

fn crime_report(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
) -> Result<Case, AppError> {
    let (c, _) = load_visible(conn, me, reference, false)?;
    if c.case_type != CaseType::CrimeReport {
        return Err(AppError::Invalid(k("print-only-crime-reports")));
    }
    Ok(c)
}

fn fill(
    conn: &mut PgConnection,
    caches: &Caches,
    tz: Tz,
    c: Case,
    finding: Option<Finding>,
) -> Result<OfficialDoc, AppError> {
    let dir = caches.directory(conn, &[c.created_by])?;
    let received_on = c.received_at.with_timezone(&tz).date_naive();
    Ok(OfficialDoc {
        txs: case::transactions(conn, c.id)?,
        received_by: dir.name(c.created_by),
        received_on,
        basis: match c.legal_basis_id {
            Some(id) => caches.legal_basis(conn, id)?,
            None => None,
        },
        finding,
        case: c,
    })
}

/// The two official documents filled from a crime report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// The intake record (biên bản tiếp nhận nguồn tin về tội phạm).
    IntakeRecord,
    /// The notice of the outcome to the reporter (thông báo kết quả giải
    /// quyết nguồn tin): only once the report has a finding (`finding`).
    OutcomeNotice,
}

/// Loads an official document of the crime report `reference`, after the
/// checks: a case `me` may not open is a 404, any other type of case a 422,
/// and so is a notice of the outcome before there is one to tell. Both
/// documents show the reporter's details (the notice is addressed to them by
/// name), so opening either is logged as a view of them (`docs/domain.md` §1).
pub fn official_doc(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    reference: &str,
    caches: &Caches,
    tz: Tz,
    kind: DocKind,
) -> Result<OfficialDoc, AppError> {
    let c = crime_report(conn, me, reference)?;
    let f = match kind {
        DocKind::IntakeRecord => None,
        DocKind::OutcomeNotice => {
            Some(finding(&c).ok_or_else(|| AppError::Invalid(k("print-notice-not-decided")))?)
        }
    };
    let doc = fill(conn, caches, tz, c, f)?;
    log_reporter_view(conn, me, meta, &doc.case)?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, action: CustodyAction, hours: i64, hash_ok: Option<bool>) -> CustodyEvent {
        CustodyEvent {
            id,
            exhibit_id: 7,
            action,
            actor_id: Some(id),
            at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::hours(hours),
            ip: None,
            purpose: None,
            hash_ok,
            sha256_seen: None,
            detail: None,
        }
    }

    #[test]
    fn a_custody_summary_counts_steps_and_keeps_the_latest_check() {
        let log = [
            event(1, CustodyAction::Received, 0, None),
            event(2, CustodyAction::Downloaded, 1, Some(true)),
            event(3, CustodyAction::Verified, 3, Some(false)),
            event(4, CustodyAction::Exported, 2, None),
        ];
        let refs: Vec<&CustodyEvent> = log.iter().collect();
        let s = summarise(7, &refs, &|id| format!("user {id}"));
        assert_eq!((s.steps, s.downloads, s.handovers), (4, 1, 1));
        assert_eq!(s.last_check.map(|(_, ok)| ok), Some(false));
        let (action, _, who) = s.last.expect("a last step");
        assert_eq!((action, who.as_str()), (CustodyAction::Verified, "user 3"));
    }
}
