//! The case list: filters from the query string, visibility, counts per status,
//! accent-insensitive search with ranking and highlighting.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::cache::Caches;
use crate::domain::purpose::Purpose;
use crate::domain::text::fold;
use crate::error::AppError;
use crate::models::case::list;
pub use crate::models::case::list::{
    normalise_query, AssigneeFilter, CaseListItem, DeadlineFilter, ListFilter, RecoveredFilter,
    Sort,
};
use crate::models::case::{CaseType, Status, Visibility};

pub const PAGE_SIZE: i64 = 50;

/// A filtered list counts each status up to this many cases: past it the tab
/// says "500+" instead of reading every match (`docs/domain.md` §1).
pub const COUNT_CAP: i64 = 500;

/// The raw query string of `/cases` (every field optional, bookmarkable).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    #[serde(rename = "type")]
    pub case_type: String,
    pub category: String,
    pub severity: String,
    pub assignee: String,
    pub team: String,
    pub channel: String,
    pub tlp: String,
    pub from: String,
    pub to: String,
    pub deadline: String,
    pub decided_from: String,
    pub decided_to: String,
    pub result: String,
    pub compliance: String,
    /// Open at the end of this day.
    pub open_on: String,
    /// Classified or assigned within these days (the statistics' durations).
    pub classified_from: String,
    pub classified_to: String,
    pub assigned_from: String,
    pub assigned_to: String,
    /// Money `frozen` or `returned` (or `any`) on these days.
    pub recovered: String,
    pub recovered_from: String,
    pub recovered_to: String,
    pub q: String,
    /// Why a search that finds cases by their reporter is made (`Purpose`).
    pub purpose: String,
    pub sort: String,
    pub page: String,
    /// Keyset cursors (`Cursor::encode`): the page after or before a row.
    pub after: String,
    pub before: String,
}

impl ListQuery {
    /// The filter's fields by their query names: one list for the audit row,
    /// the list's links and its pager.
    pub fn fields(&self) -> [(&'static str, &str); 24] {
        [
            ("status", &self.status),
            ("type", &self.case_type),
            ("category", &self.category),
            ("severity", &self.severity),
            ("assignee", &self.assignee),
            ("team", &self.team),
            ("channel", &self.channel),
            ("tlp", &self.tlp),
            ("from", &self.from),
            ("to", &self.to),
            ("deadline", &self.deadline),
            ("decided_from", &self.decided_from),
            ("decided_to", &self.decided_to),
            ("result", &self.result),
            ("compliance", &self.compliance),
            ("open_on", &self.open_on),
            ("classified_from", &self.classified_from),
            ("classified_to", &self.classified_to),
            ("assigned_from", &self.assigned_from),
            ("assigned_to", &self.assigned_to),
            ("recovered", &self.recovered),
            ("recovered_from", &self.recovered_from),
            ("recovered_to", &self.recovered_to),
            ("purpose", &self.purpose),
        ]
    }

    /// The non-empty fields, for an export's audit row.
    pub fn filter_summary(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (name, v) in self.fields() {
            let v = v.trim();
            if !v.is_empty() {
                m.insert(
                    name.into(),
                    serde_json::Value::String(v.chars().take(100).collect()),
                );
            }
        }
        serde_json::Value::Object(m)
    }

    /// Parses the query; unknown values are reported (and ignored) rather than
    /// failing the page.
    pub fn parse(&self, tz: Tz) -> (ListFilter, bool) {
        let mut bad = false;
        let opt = |v: &str| -> Option<String> {
            let v = v.trim();
            (!v.is_empty()).then(|| v.to_owned())
        };
        fn parsed<T: std::str::FromStr>(v: Option<String>, bad: &mut bool) -> Option<T> {
            let v = v?;
            let p = v.parse().ok();
            *bad |= p.is_none();
            p
        }
        let statuses = match self.status.trim() {
            "" | "open" => Status::open(),
            "all" | "reports" => Vec::new(),
            s => match s.parse::<Status>() {
                Ok(st) => vec![st],
                Err(()) => {
                    bad = true;
                    Status::open()
                }
            },
        };
        // The local midnight starting `v` (plus `plus` days), in UTC.
        let day = |v: &str, plus: u64, bad: &mut bool| -> Option<DateTime<Utc>> {
            let d = local_day(v, bad)?;
            let d = d.checked_add_days(chrono::Days::new(plus)).unwrap_or(d);
            Some(
                crate::services::deadlines::end_of_day(d.pred_opt().unwrap_or(d), tz)
                    + Duration::seconds(1),
            )
        };
        let assignee = match self.assignee.trim() {
            "" => None,
            "me" => Some(AssigneeFilter::Me),
            "none" => Some(AssigneeFilter::Nobody),
            v => match v.parse::<i64>() {
                Ok(id) => Some(AssigneeFilter::User(id)),
                Err(_) => {
                    bad = true;
                    None
                }
            },
        };
        let deadline = match self.deadline.trim() {
            "" => None,
            "due_soon" => Some(DeadlineFilter::DueSoon),
            "overdue" => Some(DeadlineFilter::Overdue),
            _ => {
                bad = true;
                None
            }
        };
        let known = |v: &str, set: &[&str], bad: &mut bool| -> Option<String> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            let ok = set.contains(&v);
            *bad |= !ok;
            ok.then(|| v.to_owned())
        };
        let result = known(&self.result, crate::services::stats::RESULTS, &mut bad);
        // `judged`: any of the three (the in-time share's cases).
        let compliance = match self.compliance.trim() {
            "judged" => Some("judged".to_owned()),
            v => known(v, crate::services::stats::COMPLIANCE, &mut bad),
        };
        let recovered =
            known(&self.recovered, &["frozen", "returned", "any"], &mut bad).map(|kind| {
                RecoveredFilter {
                    kind: (kind != "any").then_some(kind),
                    from: local_day(&self.recovered_from, &mut bad),
                    to: local_day(&self.recovered_to, &mut bad),
                }
            });
        // `none`: cases without a category (the statistics' "uncategorised").
        let uncategorised = self.category.trim() == "none";
        let q = opt(&self.q).map(|q| q.chars().take(200).collect::<String>());
        let sort = match self.sort.trim() {
            "" if q.is_some() => Sort::Relevance,
            // An overdue or due-soon list reads most urgent first.
            "" if !self.deadline.trim().is_empty() => Sort::Deadline,
            "" => Sort::Received,
            s => Sort::parse(s).unwrap_or_else(|| {
                bad = true;
                Sort::Received
            }),
        };
        let page = self
            .page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 10_000);
        let filter = ListFilter {
            statuses,
            case_type: parsed(opt(&self.case_type), &mut bad),
            category_id: if uncategorised {
                None
            } else {
                parsed(opt(&self.category), &mut bad)
            },
            uncategorised,
            severity: parsed(opt(&self.severity), &mut bad),
            assignee,
            team: opt(&self.team).map(|t| t.chars().take(80).collect()),
            channel: parsed(opt(&self.channel), &mut bad),
            tlp: parsed(opt(&self.tlp), &mut bad),
            from: day(&self.from, 0, &mut bad),
            to: day(&self.to, 1, &mut bad),
            deadline,
            decided_from: day(&self.decided_from, 0, &mut bad),
            decided_to: day(&self.decided_to, 1, &mut bad),
            result,
            compliance,
            open_at: day(&self.open_on, 1, &mut bad),
            classified_from: day(&self.classified_from, 0, &mut bad),
            classified_to: day(&self.classified_to, 1, &mut bad),
            assigned_from: day(&self.assigned_from, 0, &mut bad),
            assigned_to: day(&self.assigned_to, 1, &mut bad),
            recovered,
            reports_only: self.status.trim() == "reports",
            q,
            purpose: {
                let p = Purpose::from_form(&self.purpose, Purpose::Verification);
                bad |= p.is_none();
                p
            },
            watching: false,
            matched: None,
            sort,
            page,
            cursor: match (self.after.trim(), self.before.trim()) {
                ("", "") => None,
                (a, "") => decode_cursor(a, &mut bad).map(|(t, id)| list::Cursor::After(t, id)),
                (_, b) => decode_cursor(b, &mut bad).map(|(t, id)| list::Cursor::Before(t, id)),
            },
        };
        (filter, bad)
    }
}

/// A day typed as `YYYY-MM-DD` (years 1900–9999), as the day itself.
fn local_day(v: &str, bad: &mut bool) -> Option<NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9999).contains(&d.year()));
    *bad |= d.is_none();
    d
}

/// A row's place in its order as a query-string value: microseconds and id.
pub fn encode_cursor(row: &CaseListItem, sort: Sort) -> String {
    crate::domain::value::cursor(row.key(sort), row.id)
}

fn decode_cursor(v: &str, bad: &mut bool) -> Option<(DateTime<Utc>, i64)> {
    let parsed = crate::domain::value::parse_cursor(v);
    *bad |= parsed.is_none();
    parsed
}

pub struct ListResult {
    pub rows: Vec<CaseListItem>,
    pub total: i64,
    /// Per status, with every other filter applied (the tabs); a filtered
    /// list's counts stop at `COUNT_CAP`.
    pub counts: Vec<(Status, i64)>,
    /// Whether `counts` (and so `total`) may stop at `COUNT_CAP`.
    pub capped: bool,
    pub assignees: HashMap<i64, String>,
}

/// One page of the cases `me` may see, with counts per status; a search
/// of reporters' data is audited on the same connection.
pub fn list(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    f: &ListFilter,
    caches: &Caches,
) -> Result<ListResult, AppError> {
    let (result, audit) = list_read(conn, me, f, caches)?;
    if let Some(search) = audit {
        record(conn, me, meta, search)?;
    }
    Ok(result)
}

/// The same without writing, for a connection that may be a read-only
/// replica: the search of reporters' data to audit comes back with the
/// page, and the caller writes it with [`record`] on the primary before
/// showing the page.
pub fn list_read(
    conn: &mut PgConnection,
    me: &CurrentUser,
    f: &ListFilter,
    caches: &Caches,
) -> Result<(ListResult, Option<ReporterSearch>), AppError> {
    let vis = policy::case_visibility(me);
    let mut resolved = resolve_search(conn, &vis, f)?;
    let audit = reporter_matches(conn, &mut resolved)?;
    let f = &resolved;
    let now = Utc::now();
    // The unit's own counts are kept by a trigger; any other filter counts
    // each status up to the cap, in one query.
    let (counts, capped) = match maintained_counts(conn, &vis, f)? {
        Some(counts) => (counts, false),
        None => (
            list::status_counts(conn, &vis, me.id, f, now, COUNT_CAP)?,
            true,
        ),
    };
    // The total is the sum over the statuses asked for.
    let total = counts
        .iter()
        .filter(|(s, _)| f.statuses.is_empty() || f.statuses.contains(s))
        .map(|(_, n)| n)
        .sum();
    let (rows, assignees) = rows(conn, me, f, PAGE_SIZE, caches)?;
    Ok((
        ListResult {
            rows,
            total,
            counts,
            capped,
            assignees,
        },
        audit,
    ))
}

/// Runs the text search once (the window of recent matches) so the counts and the
/// rows of one page reuse its ids instead of searching twice.
fn resolve_search(
    conn: &mut PgConnection,
    vis: &Visibility,
    f: &ListFilter,
) -> Result<ListFilter, AppError> {
    let mut out = f.clone();
    if let (Some(text), None) = (&f.q, &f.matched) {
        // SECURITY: visibility applies inside the window, so cases one may not open
        // neither crowd out nor hint at anything.
        let ids = list::search_window(conn, vis, text)?;
        out.matched = Some(ids);
    }
    Ok(out)
}

/// A text search that found cases by their reporter's name or phone: a
/// search of personal data (`docs/domain.md` §19), audited with its purpose.
pub struct ReporterSearch {
    query: String,
    purpose: Purpose,
    cases: usize,
}

/// Finds the cases a search matched only through reporter fields; with a
/// purpose that cannot be read, those cases are left out.
fn reporter_matches(
    conn: &mut PgConnection,
    f: &mut ListFilter,
) -> Result<Option<ReporterSearch>, AppError> {
    let (Some(text), Some(ids)) = (&f.q, &f.matched) else {
        return Ok(None);
    };
    let by_reporter = list::reporter_matches(conn, ids, text)?;
    if by_reporter.is_empty() {
        return Ok(None);
    }
    let Some(purpose) = f.purpose else {
        let keep: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !by_reporter.contains(id))
            .collect();
        f.matched = Some(keep);
        return Ok(None);
    };
    Ok(Some(ReporterSearch {
        query: text.clone(),
        purpose,
        cases: by_reporter.len(),
    }))
}

/// Writes the audit row of a search of reporters' data.
pub fn record(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    search: ReporterSearch,
) -> Result<(), AppError> {
    crate::models::audit::append(
        conn,
        meta,
        crate::models::audit::NewAudit {
            actor_id: Some(me.id),
            action: "case_search_reporter",
            target_type: None,
            target_id: None,
            detail: serde_json::json!({
                "query": search.query, "purpose": search.purpose.code(), "cases": search.cases,
            }),
        },
    )?;
    Ok(())
}

/// Counts per status from the trigger-kept `case_counts` table, when the list has
/// no filter it cannot answer (anything but status and type, or a visibility
/// restriction): that is the supervisor's default view, which would otherwise
/// count every case on every request.
fn maintained_counts(
    conn: &mut PgConnection,
    vis: &Visibility,
    f: &ListFilter,
) -> Result<Option<Vec<(Status, i64)>>, AppError> {
    let Visibility::Unit { unit_id } = *vis else {
        return Ok(None);
    };
    let plain = f.category_id.is_none()
        && f.severity.is_none()
        && f.assignee.is_none()
        && f.team.is_none()
        && f.channel.is_none()
        && f.tlp.is_none()
        && f.from.is_none()
        && f.to.is_none()
        && f.deadline.is_none()
        && f.decided_from.is_none()
        && f.decided_to.is_none()
        && f.result.is_none()
        && f.compliance.is_none()
        && f.open_at.is_none()
        && !f.reports_only
        && f.q.is_none()
        && !f.watching;
    if !plain {
        return Ok(None);
    }
    let rows = crate::models::case_count::by_status(conn, unit_id, f.case_type)?;
    let mut out: Vec<(Status, i64)> = Vec::new();
    for (status, n) in rows {
        if let Ok(s) = status.parse::<Status>() {
            match out.iter_mut().find(|(x, _)| *x == s) {
                Some(entry) => entry.1 += n,
                None => out.push((s, n)),
            }
        }
    }
    out.retain(|(_, n)| *n > 0);
    Ok(Some(out))
}

/// Just the rows (and assignee names) of one page, for panels that need no counts.
pub fn rows(
    conn: &mut PgConnection,
    me: &CurrentUser,
    f: &ListFilter,
    limit: i64,
    caches: &Caches,
) -> Result<(Vec<CaseListItem>, HashMap<i64, String>), AppError> {
    let vis = policy::case_visibility(me);
    let now = Utc::now();
    let rows = list::page(conn, &vis, me.id, f, limit, now)?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.assignee_id).collect();
    let dir = caches.directory(conn, &ids)?;
    let assignees = ids.iter().map(|id| (*id, dir.name(*id))).collect();
    Ok((rows, assignees))
}

/// Visible cases per (type, status), for the dashboard.
pub fn counts_by_type_and_status(
    conn: &mut PgConnection,
    me: &CurrentUser,
) -> Result<Vec<(CaseType, Status, i64)>, AppError> {
    let vis = policy::case_visibility(me);
    // A supervisor's figures are the unit's: the trigger-kept counts.
    if let Visibility::Unit { unit_id } = vis {
        return Ok(
            crate::models::case_count::by_type_and_status(conn, unit_id)?
                .into_iter()
                .filter_map(|(t, s, n)| Some((t.parse().ok()?, s.parse().ok()?, n)))
                .collect(),
        );
    }
    Ok(list::counts_by_type_and_status(conn, &vis)?)
}

fn folded_lower(s: &str) -> Vec<char> {
    s.chars()
        .map(|c| fold(c).to_lowercase().next().unwrap_or(c))
        .collect()
}

/// A piece of text, marked when it matched the search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// Splits `text` into segments, marking accent- and case-insensitive occurrences of
/// the query's words. Templates escape each segment; nothing here is HTML.
pub fn highlight(text: &str, query: &str) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let hay = folded_lower(text);
    let terms: Vec<Vec<char>> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.chars().count() >= 2)
        .map(folded_lower)
        .collect();
    let mut marks = vec![false; chars.len()];
    for term in &terms {
        if term.len() > hay.len() {
            continue;
        }
        for start in 0..=hay.len() - term.len() {
            if hay[start..start + term.len()] == term[..] {
                marks[start..start + term.len()]
                    .iter_mut()
                    .for_each(|m| *m = true);
            }
        }
    }
    let mut out: Vec<Segment> = Vec::new();
    for (c, hit) in chars.into_iter().zip(marks) {
        match out.last_mut() {
            Some(seg) if seg.hit == hit => seg.text.push(c),
            _ => out.push(Segment {
                text: c.to_string(),
                hit,
            }),
        }
    }
    out
}

/// Up to `max` characters of `text` around the first match of `query`.
pub fn snippet(text: &str, query: &str, max: usize) -> String {
    let hay = folded_lower(text);
    let first = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.chars().count() >= 2)
        .filter_map(|t| {
            let term = folded_lower(t);
            (0..hay.len().saturating_sub(term.len() - 1)).find(|&i| hay[i..].starts_with(&term))
        })
        .min()
        .unwrap_or(0);
    let start = first.saturating_sub(max / 3);
    let piece: String = text.chars().skip(start).take(max).collect();
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&piece);
    if start + max < text.chars().count() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlighting_ignores_accents_and_case() {
        let segs = highlight("Lừa đảo qua Zalo tại Đà Nẵng", "lua dao da nang");
        let hits: Vec<&str> = segs
            .iter()
            .filter(|s| s.hit)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(hits, vec!["Lừa", "đảo", "Đà", "Nẵng"]);
        assert_eq!(
            segs.iter().map(|s| s.text.as_str()).collect::<String>(),
            "Lừa đảo qua Zalo tại Đà Nẵng"
        );
    }

    #[test]
    fn phone_queries_become_digits() {
        assert_eq!(normalise_query("0912 345 678"), "0912345678");
        assert_eq!(normalise_query("+84-912.345.678"), "84912345678");
        assert_eq!(normalise_query("lừa đảo"), "lừa đảo");
    }

    #[test]
    fn snippets_centre_on_the_first_match() {
        let text = format!(
            "{} chuyển tiền cho đối tượng {}",
            "x".repeat(300),
            "y".repeat(300)
        );
        let s = snippet(&text, "doi tuong", 60);
        assert!(
            s.contains("đối tượng") && s.starts_with('…') && s.ends_with('…'),
            "{s}"
        );
    }
}
