//! The case workflow (`docs/domain.md` §4) as one table: every allowed move, who may make
//! it and what it needs. `assigned` is reached only by assigning, `merged` only by
//! merging; everything else goes through `find`.

use super::case::Status::{self, *};

/// Who may make a move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// The assignee, an officer who may work the unassigned case, or a supervisor.
    Worker,
    Supervisor,
}

/// What a move requires besides permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    /// A reason (suspend, resume, reopen).
    Reason,
    /// The receiving agency (transfer, BLTTHS art. 146).
    Agency,
    /// Outcome and resolution summary.
    Resolution,
    /// Supervisor approval, and for security incidents the final report.
    Closing,
}

pub struct Move {
    pub from: &'static [Status],
    pub to: Status,
    pub who: Who,
    pub needs: Needs,
}

const WORKING: &[Status] = &[Assigned, Verifying, InProgress, AwaitingInfo];

pub const MOVES: &[Move] = &[
    Move {
        from: &[New],
        to: Triaged,
        who: Who::Worker,
        needs: Needs::Nothing,
    },
    Move {
        from: &[Assigned, InProgress, AwaitingInfo],
        to: Verifying,
        who: Who::Worker,
        needs: Needs::Nothing,
    },
    Move {
        from: &[Assigned, Verifying, AwaitingInfo],
        to: InProgress,
        who: Who::Worker,
        needs: Needs::Nothing,
    },
    Move {
        from: &[Verifying, InProgress],
        to: AwaitingInfo,
        who: Who::Worker,
        needs: Needs::Nothing,
    },
    Move {
        from: WORKING,
        to: Suspended,
        who: Who::Supervisor,
        needs: Needs::Reason,
    },
    // Resume a suspended case, or reopen a finished one: a supervisor, with a reason.
    Move {
        from: &[Suspended, Resolved, Closed, Transferred],
        to: InProgress,
        who: Who::Supervisor,
        needs: Needs::Reason,
    },
    Move {
        from: &[
            New,
            Triaged,
            Assigned,
            Verifying,
            InProgress,
            AwaitingInfo,
            Suspended,
        ],
        to: Transferred,
        who: Who::Worker,
        needs: Needs::Agency,
    },
    Move {
        from: &[Verifying, InProgress, AwaitingInfo],
        to: Resolved,
        who: Who::Worker,
        needs: Needs::Resolution,
    },
    Move {
        from: &[Resolved, Transferred],
        to: Closed,
        who: Who::Supervisor,
        needs: Needs::Closing,
    },
];

/// The move from `from` to `to`, if the table has one. A supervisor's reopen and a
/// worker's move can share a target; the one whose `from` matches wins.
pub fn find(from: Status, to: Status) -> Option<&'static Move> {
    MOVES.iter().find(|m| m.to == to && m.from.contains(&from))
}

/// Targets reachable from `from` by someone (the case page offers those the user may make).
pub fn targets(from: Status) -> Vec<&'static Move> {
    MOVES.iter().filter(|m| m.from.contains(&from)).collect()
}

/// What a move means for the figures (`docs/domain.md` §13): resolving,
/// transferring and suspending decide a case (BLTTHS arts. 147, 148); closing
/// keeps that decision; reopening or resuming undoes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Decides,
    Undoes,
    Keeps,
}

pub fn decision(from: Status, to: Status) -> Decision {
    match to {
        Resolved | Transferred | Suspended => Decision::Decides,
        _ if matches!(from, Resolved | Transferred | Suspended | Closed) && to != Closed => {
            Decision::Undoes
        }
        _ => Decision::Keeps,
    }
}

/// How a crime report was decided against its decide clock: by the first due
/// date, within an extension, or late.
pub fn compliance(
    decided: chrono::DateTime<chrono::Utc>,
    first_due: chrono::DateTime<chrono::Utc>,
    due: chrono::DateTime<chrono::Utc>,
) -> &'static str {
    if decided <= first_due {
        "in_time"
    } else if decided <= due {
        "extended"
    } else {
        "late"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_to_a_decision_decides_and_every_way_out_undoes_it() {
        for m in MOVES {
            for from in m.from {
                let d = decision(*from, m.to);
                if matches!(m.to, Resolved | Transferred | Suspended) {
                    assert_eq!(d, Decision::Decides, "{from:?} -> {:?}", m.to);
                } else if matches!(from, Resolved | Transferred | Suspended | Closed)
                    && m.to != Closed
                {
                    assert_eq!(d, Decision::Undoes, "{from:?} -> {:?}", m.to);
                } else {
                    assert_eq!(d, Decision::Keeps, "{from:?} -> {:?}", m.to);
                }
            }
        }
        assert_eq!(decision(Resolved, Closed), Decision::Keeps);
        assert_eq!(decision(Closed, InProgress), Decision::Undoes);
    }

    #[test]
    fn compliance_tells_in_time_from_extended_from_late() {
        use chrono::{Duration, TimeZone, Utc};
        let first = Utc.with_ymd_and_hms(2026, 3, 20, 16, 59, 59).unwrap();
        let due = first + Duration::days(40);
        assert_eq!(compliance(first, first, due), "in_time");
        assert_eq!(
            compliance(first + Duration::seconds(1), first, due),
            "extended"
        );
        assert_eq!(compliance(due, first, due), "extended");
        assert_eq!(compliance(due + Duration::seconds(1), first, due), "late");
        assert_eq!(
            compliance(first + Duration::seconds(1), first, first),
            "late"
        );
    }

    #[test]
    fn no_two_moves_share_a_from_and_to() {
        for a in Status::ALL {
            for b in Status::ALL {
                let n = MOVES
                    .iter()
                    .filter(|m| m.to == *b && m.from.contains(a))
                    .count();
                assert!(n <= 1, "{a:?} -> {b:?} defined {n} times");
            }
        }
    }

    #[test]
    fn assigned_and_merged_are_never_plain_moves() {
        assert!(MOVES
            .iter()
            .all(|m| m.to != Assigned && m.to != Merged && m.to != New));
    }

    #[test]
    fn merged_and_closed_have_few_exits() {
        assert!(targets(Merged).is_empty());
        assert_eq!(
            targets(Closed).iter().map(|m| m.to).collect::<Vec<_>>(),
            vec![InProgress]
        );
    }
}
