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

crate::code_enum!(
    /// How a person hears of new public reports.
    ReportNotice, "report-notice" {
        Immediate => "immediate",
        Hourly => "hourly",
        Daily => "daily",
    }
);

impl ReportNotice {
    /// What a person who has not chosen gets: on-duty officers triage, so they
    /// hear at once; supervisors oversee, so an hourly summary is enough.
    pub fn default_for(role: super::role::Role) -> ReportNotice {
        match role {
            super::role::Role::Supervisor => ReportNotice::Hourly,
            _ => ReportNotice::Immediate,
        }
    }

    /// The end of the latest summary period of this cadence at `now`: the
    /// last full local hour, or the last local day at `day_hour` (the digest
    /// hour). None for immediate notices.
    pub fn period_end(
        self,
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
        day_hour: u32,
    ) -> Option<DateTime<Utc>> {
        use chrono::{TimeZone, Timelike};
        let local = now.with_timezone(&tz);
        match self {
            ReportNotice::Immediate => None,
            ReportNotice::Hourly => local
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .and_then(|t| t.with_nanosecond(0))
                .map(|t| t.with_timezone(&Utc)),
            ReportNotice::Daily => {
                let today = local.date_naive().and_hms_opt(day_hour, 0, 0)?;
                let today = tz.from_local_datetime(&today).earliest()?;
                let end = if today <= local {
                    today
                } else {
                    today - Duration::days(1)
                };
                Some(end.with_timezone(&Utc))
            }
        }
    }

    /// How far back a summary looks for reports not yet told of: two
    /// periods, so a summary missed while every instance was down is caught
    /// up by the next one.
    pub fn lookback(self) -> Duration {
        match self {
            ReportNotice::Immediate => Duration::zero(),
            ReportNotice::Hourly => Duration::hours(2),
            ReportNotice::Daily => Duration::days(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Role;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn summary_periods_end_on_local_hours_and_the_digest_hour() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        // 09:41 local is 02:41 UTC.
        let now = at("2026-12-01T02:41:10Z");
        assert_eq!(
            ReportNotice::Hourly.period_end(now, tz, 7),
            Some(at("2026-12-01T02:00:00Z"))
        );
        // The digest hour 07:00 local today has passed: today at 07:00.
        assert_eq!(
            ReportNotice::Daily.period_end(now, tz, 7),
            Some(at("2026-12-01T00:00:00Z"))
        );
        // Before it: yesterday at 07:00.
        assert_eq!(
            ReportNotice::Daily.period_end(at("2026-11-30T23:59:00Z"), tz, 7),
            Some(at("2026-11-30T00:00:00Z"))
        );
        assert_eq!(ReportNotice::Immediate.period_end(now, tz, 7), None);
        assert_eq!(
            ReportNotice::default_for(Role::Supervisor),
            ReportNotice::Hourly
        );
        assert_eq!(
            ReportNotice::default_for(Role::Officer),
            ReportNotice::Immediate
        );
    }
}
