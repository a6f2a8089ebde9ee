//! What the public sent, as the unit and the reporter see its progress.

use chrono::{DateTime, Duration, Utc};

use super::case::Status;

/// How the reporter was first contacted (the crime form).
pub const FIRST_CONTACT: &[&str] = &[
    "phone_call",
    "sms",
    "zalo",
    "facebook",
    "telegram",
    "website",
    "email",
    "in_person",
    "other",
];

crate::code_enum!(
    SubmissionStatus, "submission-status" {
        New => "new",
        InfoRequested => "info_requested",
        Case => "case",
        Attached => "attached",
        Spam => "spam",
    }
);

crate::code_enum!(
    /// What the public sees of a report's progress.
    PublicStatus, "public-status" {
        Received => "received",
        Verifying => "verifying",
        Handling => "handling",
        Concluded => "concluded",
        Transferred => "transferred",
    }
);

/// The public status of a submission, from its triage and its case.
pub fn public_status(submission: SubmissionStatus, case_status: Option<Status>) -> PublicStatus {
    match (submission, case_status) {
        (SubmissionStatus::New | SubmissionStatus::InfoRequested, _) => PublicStatus::Received,
        // Spam is not announced: it stays "received".
        (SubmissionStatus::Spam, _) => PublicStatus::Received,
        (_, None) => PublicStatus::Verifying,
        (_, Some(st)) => match st {
            Status::New | Status::Triaged | Status::Assigned | Status::Verifying => {
                PublicStatus::Verifying
            }
            Status::InProgress | Status::AwaitingInfo | Status::Suspended => PublicStatus::Handling,
            Status::Transferred => PublicStatus::Transferred,
            Status::Resolved | Status::Closed | Status::Merged => PublicStatus::Concluded,
        },
    }
}

/// The classification clock of a submission (`docs/domain.md` §3: 24 hours).
pub fn classify_by(received_at: DateTime<Utc>) -> DateTime<Utc> {
    received_at + Duration::hours(24)
}
