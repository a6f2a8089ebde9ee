//! Finding a report: the caller on the phone quotes a tracking code, or the
//! officer knows the reporter's phone, e-mail or name; and the lists of
//! reports already triaged (with the case each went to) and marked as spam.
//! A search by who reported reveals who reported, so it writes an audit row.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::PgConnection;
use serde_json::json;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::domain::code::{normalise_code, ALPHABET, CODE_LEN};
use crate::domain::ident::normalise::phone;
use crate::domain::purpose::Purpose;
use crate::error::AppError;
use crate::models::audit::{self, NewAudit};
use crate::models::submission::{
    self, FindBy, FindFilter, Submission, SubmissionKind, SubmissionStatus,
};
use crate::models::user::Role;

/// Reports one search shows at most (newest first).
pub const FIND_LIMIT: i64 = 50;

/// A search as typed in the intake's search bar (all optional, bookmarkable).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct FindQuery {
    pub q: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    /// `triaged`, `spam` or `decided` (either; supervisors) or empty for every report.
    pub show: String,
    /// Why a search by who reported is made (`Purpose`; empty: handling).
    pub purpose: String,
    /// Keyset: the page after this row (`<unix micros>_<id>`).
    pub found_after: String,
}

impl FindQuery {
    /// Whether this is a search rather than the plain queue.
    pub fn is_search(&self) -> bool {
        !(self.q.trim().is_empty()
            && self.kind.is_empty()
            && self.from.is_empty()
            && self.to.is_empty())
            || self.show == "triaged"
            || self.show == "decided"
    }
}

/// What a search found.
pub struct Found {
    /// Each report with the reference of the case it went to, if any.
    pub rows: Vec<(Submission, Option<String>)>,
    /// How many match in all.
    pub total: i64,
    /// The next page's cursor, when more match.
    pub next: Option<String>,
    /// A filter could not be read (and was left out).
    pub bad: bool,
}

/// What the text of a search is: a tracking code, an e-mail, a phone, or a name.
pub fn find_by(q: &str) -> FindBy {
    let q = q.trim();
    if q.is_empty() {
        return FindBy::All;
    }
    let code = normalise_code(q);
    if code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b)) {
        return FindBy::Code(code);
    }
    if q.contains('@') {
        return FindBy::Email(q.chars().take(254).collect());
    }
    if let Some(p) = phone(q) {
        return FindBy::Phone(p);
    }
    FindBy::Name(q.chars().take(100).collect())
}

/// A local date typed in a date input, as the UTC start of that day.
fn day_start(v: &str, tz: Tz, bad: &mut bool) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    let parsed = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| tz.from_local_datetime(&d).earliest())
        .map(|d| d.with_timezone(&Utc));
    *bad |= parsed.is_none();
    parsed
}

pub fn find(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    tz: Tz,
    query: &FindQuery,
) -> Result<Found, AppError> {
    if !policy::can_triage(me) {
        return Err(AppError::Forbidden);
    }
    let supervisor = me.role == Role::Supervisor;
    let statuses = match query.show.as_str() {
        "triaged" => vec![SubmissionStatus::Case, SubmissionStatus::Attached],
        "spam" if supervisor => vec![SubmissionStatus::Spam],
        // Either decision: the reports the time to triage is measured over.
        "decided" if supervisor => vec![
            SubmissionStatus::Case,
            SubmissionStatus::Attached,
            SubmissionStatus::Spam,
        ],
        "spam" | "decided" => return Err(AppError::Forbidden),
        // Spam is for supervisors to see.
        _ => SubmissionStatus::ALL
            .iter()
            .copied()
            .filter(|s| supervisor || *s != SubmissionStatus::Spam)
            .collect(),
    };
    let mut bad = false;
    let kind = match query.kind.as_str() {
        "" => None,
        k => {
            let parsed = k.parse::<SubmissionKind>().ok();
            bad |= parsed.is_none();
            parsed
        }
    };
    let from = day_start(&query.from, tz, &mut bad);
    let to = day_start(&query.to, tz, &mut bad).map(|d| d + chrono::Duration::days(1));
    let by = find_by(&query.q);
    let who = match &by {
        FindBy::Phone(_) => Some("phone"),
        FindBy::Email(_) => Some("email"),
        FindBy::Name(_) => Some("name"),
        FindBy::All | FindBy::Code(_) => None,
    };
    if let Some(who) = who {
        // A search by who reported says why (`docs/domain.md` §19); without
        // a purpose it is a filter that cannot be read, and nothing is searched.
        let Some(purpose) = Purpose::from_form(&query.purpose, Purpose::Handling) else {
            return Ok(Found {
                rows: Vec::new(),
                total: 0,
                next: None,
                bad: true,
            });
        };
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: "submission_search",
                target_type: None,
                target_id: None,
                detail: json!({ "by": who, "query": query.q.trim(), "purpose": purpose.code() }),
            },
        )?;
    }
    let before = match query.found_after.trim() {
        "" => None,
        v => {
            let c = crate::domain::value::parse_cursor(v);
            bad |= c.is_none();
            c
        }
    };
    let filter = FindFilter {
        unit_id: me.unit_id,
        by,
        statuses,
        kind,
        from,
        to,
        before,
    };
    let mut rows = submission::find_reports(conn, &filter, FIND_LIMIT + 1)?;
    let more = rows.len() as i64 > FIND_LIMIT;
    rows.truncate(FIND_LIMIT as usize);
    let next = rows
        .last()
        .filter(|_| more)
        .map(|s| crate::domain::value::cursor(s.received_at, s.id));
    let total = submission::count_reports(conn, &filter)?;
    let case_ids: Vec<i64> = rows.iter().filter_map(|s| s.case_id).collect();
    let refs = crate::models::case::summaries(conn, &case_ids)?;
    Ok(Found {
        rows: rows
            .into_iter()
            .map(|s| {
                let r = s
                    .case_id
                    .and_then(|id| refs.get(&id))
                    .map(|(r, _, _)| r.clone());
                (s, r)
            })
            .collect(),
        total,
        next,
        bad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_read_as_code_email_phone_or_name() {
        assert_eq!(
            find_by("abcd-efgh-jkmnp"),
            FindBy::Code("ABCDEFGHJKMNP".into())
        );
        assert_eq!(
            find_by("Bich.Tran@Example.vn"),
            FindBy::Email("Bich.Tran@Example.vn".into())
        );
        assert_eq!(
            find_by("0987 654 321"),
            FindBy::Phone("+84987654321".into())
        );
        assert_eq!(find_by("Trần Thị"), FindBy::Name("Trần Thị".into()));
        assert_eq!(find_by("  "), FindBy::All);
    }
}
