//! What a case is: its type (which fixes its legal clocks, `docs/domain.md` §3)
//! and its status (`docs/domain.md` §4).

crate::code_enum!(
    /// `docs/domain.md` §3; the reference letters are `ref_code`.
    CaseType, "type" {
        CrimeReport => "crime_report",
        SecurityIncident => "security_incident",
        DataBreach => "data_breach",
        Feedback => "feedback",
    }
);

impl CaseType {
    /// Letters in the reference number (`PA05-TG-2026-00042`).
    pub fn ref_code(self) -> &'static str {
        match self {
            CaseType::CrimeReport => "TG",
            CaseType::SecurityIncident => "SC",
            CaseType::DataBreach => "DL",
            CaseType::Feedback => "PA",
        }
    }
}

crate::code_enum!(
    /// `docs/domain.md` §4.
    Status, "status" {
        New => "new",
        Triaged => "triaged",
        Assigned => "assigned",
        Verifying => "verifying",
        InProgress => "in_progress",
        AwaitingInfo => "awaiting_info",
        Suspended => "suspended",
        Transferred => "transferred",
        Resolved => "resolved",
        Closed => "closed",
        Merged => "merged",
    }
);

impl Status {
    /// Statuses that end the work on a case (the "open" filter is all others).
    pub const FINAL: &'static [Status] = &[
        Status::Transferred,
        Status::Resolved,
        Status::Closed,
        Status::Merged,
    ];

    pub fn is_final(self) -> bool {
        Status::FINAL.contains(&self)
    }

    pub fn open() -> Vec<Status> {
        Status::ALL
            .iter()
            .copied()
            .filter(|s| !s.is_final())
            .collect()
    }
}
