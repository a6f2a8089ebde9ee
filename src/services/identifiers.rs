//! Identifiers in the database (DESIGN.md §7): linking them to the reports
//! they appear in, and the correlation the unit works from — "this account was
//! reported by 14 victims for 1.2 billion đồng" — always counted over what the
//! user may open.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};

use crate::auth::{policy, CurrentUser};
use crate::db::schema::{banks, cases, identifier_links, identifiers, submissions};
use crate::error::AppError;
use crate::ident::extract::{self, Bank, Suggestion};
use crate::models::case::{self, Case, Visibility};

pub use crate::ident::normalise::*;
/// The bank code of what an officer or reporter wrote: a code, a short name or
/// an old name ("Vietcombank", "vcb", "LienVietPostBank").
pub fn resolve_bank(conn: &mut PgConnection, written: &str) -> QueryResult<Option<String>> {
    Ok(bank_code_in(&bank_names(conn)?, written))
}

/// `resolve_bank` over a list already loaded (several rows of one form).
fn bank_code_in(banks: &[Bank], written: &str) -> Option<String> {
    let w = written.trim().to_lowercase();
    if w.is_empty() {
        return None;
    }
    banks
        .iter()
        .find(|b| b.names.iter().any(|n| n.to_lowercase() == w))
        .map(|b| b.code.clone())
}

/// Every name a bank goes by — code, NAPAS BIN, short and full name, former
/// names — for resolving what people write and for extraction.
pub fn bank_names(conn: &mut PgConnection) -> QueryResult<Vec<Bank>> {
    let all: Vec<(String, String, String, String, Vec<String>)> = banks::table
        .order(banks::sort)
        .select((
            banks::code,
            banks::bin,
            banks::short_name,
            banks::name_vi,
            banks::aliases,
        ))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|(code, bin, short, full, aliases)| {
            let mut names = vec![code.clone(), bin, short, full];
            names.extend(aliases);
            Bank { code, names }
        })
        .collect())
}

/// The report an identifier is linked to: a case, or a submission (which takes
/// its case's id when triaged, so the report counts once).
#[derive(Clone, Debug)]
pub struct Report {
    pub submission_id: Option<i64>,
    pub case_id: Option<i64>,
    pub reported_at: DateTime<Utc>,
    pub reporter_key: Option<String>,
}

/// Who reported, for counting distinct reporters: their phone, else e-mail.
pub fn reporter_key(phone_raw: Option<&str>, email_raw: Option<&str>) -> Option<String> {
    phone_raw
        .and_then(phone)
        .or_else(|| email_raw.and_then(email).map(|e| e.to_lowercase()))
}

/// One identifier to link.
#[derive(Clone, Debug)]
pub struct NewLink<'a> {
    pub kind: IdKind,
    pub value: &'a str,
    pub role: &'a str,
    pub source: &'a str,
    pub amount: i64,
    pub from_form: bool,
    pub added_by: Option<i64>,
}

pub const ROLES: &[&str] = &["suspect", "victim", "infrastructure"];

fn find_or_create(conn: &mut PgConnection, kind: IdKind, value: &str) -> QueryResult<i64> {
    diesel::insert_into(identifiers::table)
        .values((
            identifiers::kind.eq(kind.code()),
            identifiers::value.eq(value),
        ))
        .on_conflict((identifiers::kind, identifiers::value))
        .do_nothing()
        .execute(conn)?;
    identifiers::table
        .filter(identifiers::kind.eq(kind.code()))
        .filter(identifiers::value.eq(value))
        .select(identifiers::id)
        .first(conn)
}

/// Finds or creates the identifier and links it to the report, once per report
/// (whoever entered it first keeps the link; a larger amount is kept).
/// Returns the identifier's id and whether a new link was written.
pub fn link(conn: &mut PgConnection, r: &Report, l: &NewLink) -> QueryResult<(i64, bool)> {
    let id = find_or_create(conn, l.kind, l.value)?;
    let existing = identifier_links::table
        .filter(identifier_links::identifier_id.eq(id))
        .into_boxed();
    let existing = match (r.submission_id, r.case_id) {
        (Some(s), _) => existing.filter(identifier_links::submission_id.eq(s)),
        // Any link of the case counts, a triaged submission's included.
        (None, Some(c)) => existing.filter(identifier_links::case_id.eq(c)),
        (None, None) => return Ok((id, false)),
    };
    let found: Option<(i64, i64)> = existing
        .select((identifier_links::id, identifier_links::amount))
        .first(conn)
        .optional()?;
    if let Some((link_id, amount)) = found {
        if l.amount > amount {
            diesel::update(identifier_links::table.find(link_id))
                .set(identifier_links::amount.eq(l.amount))
                .execute(conn)?;
        }
        return Ok((id, false));
    }
    diesel::insert_into(identifier_links::table)
        .values((
            identifier_links::identifier_id.eq(id),
            identifier_links::submission_id.eq(r.submission_id),
            identifier_links::case_id.eq(r.case_id),
            identifier_links::role.eq(l.role),
            identifier_links::source.eq(l.source),
            identifier_links::reported_at.eq(r.reported_at),
            identifier_links::amount.eq(l.amount.max(0)),
            identifier_links::reporter_key.eq(&r.reporter_key),
            identifier_links::from_form.eq(l.from_form),
            identifier_links::added_by.eq(l.added_by),
        ))
        .execute(conn)?;
    Ok((id, true))
}

/// A submission triaged into a case: its links become the case's.
pub fn move_to_case(
    conn: &mut PgConnection,
    submission_id: i64,
    case_id: i64,
) -> QueryResult<usize> {
    diesel::update(
        identifier_links::table.filter(identifier_links::submission_id.eq(submission_id)),
    )
    .set(identifier_links::case_id.eq(case_id))
    .execute(conn)
}

/// Re-links the identifiers an officer's case form carries — receiving
/// accounts of its money rows (suspect, with the amounts sent) and the
/// reporter's phone (victim) — after each save. Links added one by one, and
/// those from reporters, are left alone.
pub fn sync_case(
    conn: &mut PgConnection,
    r: &Report,
    txs: &[crate::models::case::Transaction],
    reporter_phone: Option<&str>,
    by: i64,
) -> QueryResult<()> {
    let Some(case_id) = r.case_id else {
        return Ok(());
    };
    diesel::delete(
        identifier_links::table
            .filter(identifier_links::case_id.eq(case_id))
            .filter(identifier_links::submission_id.is_null())
            .filter(identifier_links::from_form.eq(true)),
    )
    .execute(conn)?;
    let mut accounts: BTreeMap<String, i64> = BTreeMap::new();
    let banks = if txs.iter().any(|t| t.to_bank.is_some()) {
        bank_names(conn)?
    } else {
        Vec::new()
    };
    for tx in txs {
        let Some(account) = tx.to_account.as_deref() else {
            continue;
        };
        let bank = tx.to_bank.as_deref().and_then(|b| bank_code_in(&banks, b));
        if let Some(v) = bank_account(bank.as_deref().unwrap_or(""), account) {
            let sum = accounts.entry(v).or_default();
            *sum = sum.saturating_add(tx.amount);
        }
    }
    for (value, amount) in &accounts {
        link(
            conn,
            r,
            &NewLink {
                kind: IdKind::BankAccount,
                value,
                role: "suspect",
                source: "officer",
                amount: *amount,
                from_form: true,
                added_by: Some(by),
            },
        )?;
    }
    if let Some(p) = reporter_phone.and_then(phone) {
        link(
            conn,
            r,
            &NewLink {
                kind: IdKind::Phone,
                value: &p,
                role: "victim",
                source: "officer",
                amount: 0,
                from_form: true,
                added_by: Some(by),
            },
        )?;
    }
    Ok(())
}

/// One hit: an identifier this submission shares with another submission or case.
#[derive(Clone, Debug, Queryable)]
pub struct Hit {
    pub kind: String,
    pub value: String,
    pub other_submission: Option<i64>,
    pub other_case: Option<i64>,
}

/// Other submissions and cases sharing an identifier with `submission_id`.
pub fn hits_for_submission(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<Hit>> {
    let (mine, theirs) = diesel::alias!(identifier_links as mine, identifier_links as theirs);
    mine.inner_join(
        identifiers::table.on(identifiers::id.eq(mine.field(identifier_links::identifier_id))),
    )
    .inner_join(
        theirs.on(theirs
            .field(identifier_links::identifier_id)
            .eq(mine.field(identifier_links::identifier_id))),
    )
    .filter(
        mine.field(identifier_links::submission_id)
            .eq(submission_id),
    )
    .filter(
        theirs
            .field(identifier_links::submission_id)
            .ne(submission_id)
            .or(theirs.field(identifier_links::submission_id).is_null()),
    )
    .select((
        identifiers::kind,
        identifiers::value,
        theirs.field(identifier_links::submission_id),
        theirs.field(identifier_links::case_id),
    ))
    .distinct()
    .limit(200)
    .load(conn)
}

/// An identifier of a case, with where else it was seen.
#[derive(Clone, Debug)]
pub struct Correlated {
    pub link_id: i64,
    pub identifier_id: i64,
    pub kind: IdKind,
    pub value: String,
    pub role: String,
    pub source: String,
    pub amount: i64,
    /// Added one by one (not from the form or a reporter): may be removed.
    pub removable: bool,
    /// Other cases the user may open.
    pub other_cases: i64,
    /// Submissions still in intake (only for those who triage).
    pub other_submissions: i64,
    /// Other cases the user may not open (only ever set for supervisors).
    pub hidden_cases: i64,
}

impl Correlated {
    pub fn seen_elsewhere(&self) -> bool {
        self.other_cases + self.other_submissions + self.hidden_cases > 0
    }
}

struct CaseLinkRow {
    link_id: i64,
    identifier_id: i64,
    kind: IdKind,
    value: String,
    role: String,
    source: String,
    amount: i64,
    from_form: bool,
    submission_id: Option<i64>,
    cases: i64,
    pending: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    identifier_id: i64,
    #[diesel(sql_type = BigInt)]
    cases: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
}

/// The identifiers linked to a case, each once, with its correlation counts:
/// the links (one prepared query), then the counts of those not cached (one
/// grouped query, skipped when all are). The case page is the busiest there is.
pub fn for_case(
    conn: &mut PgConnection,
    me: &CurrentUser,
    caches: &crate::cache::Caches,
    case_id: i64,
) -> QueryResult<Vec<Correlated>> {
    type Row = (
        i64,
        i64,
        IdKind,
        String,
        String,
        String,
        i64,
        bool,
        Option<i64>,
    );
    let links: Vec<Row> = identifier_links::table
        .inner_join(identifiers::table)
        .filter(identifier_links::case_id.eq(case_id))
        .order((identifiers::kind, identifiers::value, identifier_links::id))
        .select((
            identifier_links::id,
            identifiers::id,
            identifiers::kind,
            identifiers::value,
            identifier_links::role,
            identifier_links::source,
            identifier_links::amount,
            identifier_links::from_form,
            identifier_links::submission_id,
        ))
        .load(conn)?;
    let triage = policy::can_triage(me);
    let ids: Vec<i64> = links.iter().map(|l| l.1).collect();
    let cached = caches.heavy_counts(&ids);
    let need: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !cached.contains_key(id))
        .collect::<HashSet<i64>>()
        .into_iter()
        .collect();
    let mut counts: HashMap<i64, (i64, i64)> = cached
        .iter()
        .map(|(id, c)| (*id, (c.cases, c.pending)))
        .collect();
    if !need.is_empty() {
        let fresh: Vec<CountRow> = diesel::sql_query(
            "SELECT o.identifier_id, count(DISTINCT o.case_id) AS cases,
                    count(DISTINCT o.submission_id) FILTER (
                        WHERE o.case_id IS NULL
                          AND NOT EXISTS (SELECT 1 FROM submissions s
                                          WHERE s.id = o.submission_id AND s.status = 'spam')) AS pending
             FROM identifier_links o WHERE o.identifier_id = ANY($1)
             GROUP BY o.identifier_id",
        )
        .bind::<diesel::sql_types::Array<BigInt>, _>(&need)
        .load(conn)?;
        for c in fresh {
            caches.remember_heavy(
                c.identifier_id,
                crate::cache::HeavyCounts {
                    cases: c.cases,
                    pending: c.pending,
                },
            );
            counts.insert(c.identifier_id, (c.cases, c.pending));
        }
    }
    let rows: Vec<CaseLinkRow> = links
        .into_iter()
        .map(|l| {
            let (cases, pending) = counts.get(&l.1).copied().unwrap_or((1, 0));
            CaseLinkRow {
                link_id: l.0,
                identifier_id: l.1,
                kind: l.2,
                value: l.3,
                role: l.4,
                source: l.5,
                amount: l.6,
                from_form: l.7,
                submission_id: l.8,
                // The count includes this case.
                cases: (cases - 1).max(0),
                pending: if triage { pending } else { 0 },
            }
        })
        .collect();
    let mut seen = HashSet::new();
    let rows: Vec<CaseLinkRow> = rows
        .into_iter()
        .filter(|r| seen.insert(r.identifier_id))
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Officers: only the cases they may open are counted.
    let vis = policy::case_visibility(me);
    let (visible, hidden) = if matches!(vis, Visibility::All) {
        (None, HashMap::new())
    } else {
        let ids: Vec<i64> = rows.iter().map(|r| r.identifier_id).collect();
        let visible = count_cases(conn, &ids, case_id, &vis)?;
        let hidden = if policy::allows(me.role, policy::Action::SuperviseCases) {
            rows.iter()
                .map(|r| {
                    let shown = visible.get(&r.identifier_id).copied().unwrap_or(0);
                    (r.identifier_id, r.cases - shown)
                })
                .collect()
        } else {
            HashMap::new()
        };
        (Some(visible), hidden)
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let kind = r.kind;
            let other_cases = match &visible {
                None => r.cases,
                Some(v) => v.get(&r.identifier_id).copied().unwrap_or(0),
            };
            Correlated {
                link_id: r.link_id,
                identifier_id: r.identifier_id,
                kind,
                removable: !r.from_form && r.submission_id.is_none() && r.source != "reporter",
                other_cases,
                other_submissions: r.pending,
                hidden_cases: hidden.get(&r.identifier_id).copied().unwrap_or(0),
                value: r.value,
                role: r.role,
                source: r.source,
                amount: r.amount,
            }
        })
        .collect())
}

/// The cases other than `except` linked to each identifier that a user with
/// `vis` may open.
fn count_cases(
    conn: &mut PgConnection,
    ids: &[i64],
    except: i64,
    vis: &Visibility,
) -> QueryResult<HashMap<i64, i64>> {
    let pairs: Vec<(i64, i64)> = identifier_links::table
        .filter(identifier_links::identifier_id.eq_any(ids))
        .filter(identifier_links::case_id.is_not_null())
        .filter(identifier_links::case_id.ne(except))
        .select((
            identifier_links::identifier_id,
            identifier_links::case_id.assume_not_null(),
        ))
        .distinct()
        .load(conn)?;
    let candidates: Vec<i64> = pairs.iter().map(|p| p.1).collect();
    let open = visible_among(conn, vis, &candidates)?;
    let mut counts = HashMap::new();
    for (id, case_id) in pairs {
        if open.contains(&case_id) {
            *counts.entry(id).or_default() += 1;
        }
    }
    Ok(counts)
}

/// Which of these cases the user may open.
fn visible_among(
    conn: &mut PgConnection,
    vis: &Visibility,
    case_ids: &[i64],
) -> QueryResult<HashSet<i64>> {
    if matches!(vis, Visibility::All) {
        return Ok(case_ids.iter().copied().collect());
    }
    let mut open = HashSet::new();
    for chunk in case_ids.chunks(10_000) {
        let ids: Vec<i64> = cases::table
            .filter(cases::id.eq_any(chunk))
            .filter(case::visible(vis))
            .select(cases::id)
            .load(conn)?;
        open.extend(ids);
    }
    Ok(open)
}

/// One report on an identifier's page.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub case: Option<(String, String, crate::models::case::Status)>,
    pub submission: Option<(i64, String, String)>,
    pub reported_at: DateTime<Utc>,
    pub amount: i64,
    pub role: String,
}

/// An identifier's page: every report of it the user may open.
#[derive(Clone, Debug)]
pub struct IdentifierPage {
    pub id: i64,
    pub kind: IdKind,
    pub value: String,
    pub reports: i64,
    pub cases: i64,
    pub submissions: i64,
    pub reporters: i64,
    pub total_loss: i64,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Reports per month (local "mm/yyyy"), oldest first, for the timeline.
    pub months: Vec<(String, i64)>,
    pub hidden_cases: i64,
    pub rows: Vec<ReportRow>,
    pub page: i64,
    pub pages: i64,
}

pub const PAGE_SIZE: usize = 50;

type LinkRow = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    DateTime<Utc>,
    String,
);

pub fn page(
    conn: &mut PgConnection,
    me: &CurrentUser,
    tz: chrono_tz::Tz,
    id: i64,
    page: i64,
) -> Result<IdentifierPage, AppError> {
    policy::require(me, policy::Action::WorkCases)?;
    let (kind, value): (IdKind, String) = identifiers::table
        .find(id)
        .select((identifiers::kind, identifiers::value))
        .first(conn)?;
    let vis = policy::case_visibility(me);
    let cols = (
        identifier_links::report_key,
        identifier_links::case_id,
        identifier_links::submission_id,
        identifier_links::reporter_key,
        identifier_links::amount,
        identifier_links::reported_at,
        identifier_links::role,
    );
    let mut links: Vec<LinkRow> = identifier_links::table
        .filter(identifier_links::identifier_id.eq(id))
        .filter(identifier_links::case_id.is_not_null())
        .select(cols)
        .load(conn)?;
    let all_cases: HashSet<i64> = links.iter().filter_map(|l| l.1).collect();
    let candidates: Vec<i64> = all_cases.iter().copied().collect();
    let open = visible_among(conn, &vis, &candidates)?;
    links.retain(|l| l.1.is_some_and(|c| open.contains(&c)));
    let hidden_cases = if policy::allows(me.role, policy::Action::SuperviseCases)
        && !matches!(vis, Visibility::All)
    {
        (all_cases.len() - open.len()) as i64
    } else {
        0
    };
    if policy::can_triage(me) {
        use crate::models::submission::SubmissionStatus;
        let pending: Vec<LinkRow> = identifier_links::table
            .filter(identifier_links::identifier_id.eq(id))
            .filter(identifier_links::case_id.is_null())
            .filter(
                identifier_links::submission_id.assume_not_null().eq_any(
                    submissions::table
                        .filter(submissions::case_id.is_null())
                        .filter(submissions::status.ne(SubmissionStatus::Spam))
                        .select(submissions::id),
                ),
            )
            .select(cols)
            .load(conn)?;
        links.extend(pending);
    }
    // One entry per report: a case may hold the same identifier from a
    // submission and from the officer's form.
    let mut reports: BTreeMap<i64, LinkRow> = BTreeMap::new();
    for l in links {
        let Some(key) = l.0 else { continue };
        match reports.get_mut(&key) {
            Some(r) => {
                r.4 = r.4.max(l.4);
                r.5 = r.5.min(l.5);
                if r.3.is_none() {
                    r.3 = l.3;
                }
                if r.2.is_none() {
                    r.2 = l.2;
                }
            }
            None => {
                reports.insert(key, l);
            }
        }
    }
    let mut reporters = HashSet::new();
    let mut months: BTreeMap<(i32, u32), i64> = BTreeMap::new();
    let (mut total_loss, mut n_cases) = (0i64, 0i64);
    for (key, r) in &reports {
        reporters.insert(r.3.clone().unwrap_or_else(|| format!("report:{key}")));
        total_loss = total_loss.saturating_add(r.4);
        if *key > 0 {
            n_cases += 1;
        }
        let local = r.5.with_timezone(&tz);
        *months
            .entry((
                chrono::Datelike::year(&local),
                chrono::Datelike::month(&local),
            ))
            .or_default() += 1;
    }
    let mut ordered: Vec<LinkRow> = reports.into_values().collect();
    ordered.sort_by(|a, b| b.5.cmp(&a.5).then(b.0.cmp(&a.0)));
    let total = ordered.len() as i64;
    let pages = ((total as usize).div_ceil(PAGE_SIZE)).max(1) as i64;
    let page = page.clamp(1, pages);
    let slice: Vec<LinkRow> = ordered
        .iter()
        .skip((page as usize - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .cloned()
        .collect();
    let case_ids: Vec<i64> = slice.iter().filter_map(|l| l.1).collect();
    let sub_ids: Vec<i64> = slice
        .iter()
        .filter(|l| l.1.is_none())
        .filter_map(|l| l.2)
        .collect();
    let case_rows: HashMap<i64, (String, String, crate::models::case::Status)> = cases::table
        .filter(cases::id.eq_any(&case_ids))
        .select((cases::id, cases::ref_, cases::title, cases::status))
        .load::<(i64, String, String, crate::models::case::Status)>(conn)?
        .into_iter()
        .map(|(id, r, t, s)| (id, (r, t, s)))
        .collect();
    let sub_rows: HashMap<i64, (String, String)> = submissions::table
        .filter(submissions::id.eq_any(&sub_ids))
        .select((
            submissions::id,
            submissions::tracking_code,
            submissions::summary,
        ))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, c, s)| (id, (c, s)))
        .collect();
    let rows = slice
        .into_iter()
        .map(|l| ReportRow {
            case: l.1.and_then(|c| case_rows.get(&c).cloned()),
            submission: match l.1 {
                Some(_) => None,
                None => l.2.and_then(|s| {
                    sub_rows
                        .get(&s)
                        .map(|(c, sum)| (s, crate::services::portal::format_code(c), sum.clone()))
                }),
            },
            reported_at: l.5,
            amount: l.4,
            role: l.6,
        })
        .collect();
    Ok(IdentifierPage {
        id,
        kind,
        value,
        reports: total,
        cases: n_cases,
        submissions: total - n_cases,
        reporters: reporters.len() as i64,
        total_loss,
        first_seen: ordered.last().map(|l| l.5),
        last_seen: ordered.first().map(|l| l.5),
        months: months
            .into_iter()
            .map(|((y, m), n)| (format!("{m:02}/{y}"), n))
            .collect(),
        hidden_cases,
        rows,
        page,
        pages,
    })
}

/// An identifier found by a search.
#[derive(Clone, Debug, Queryable)]
pub struct Found {
    pub id: i64,
    pub kind: IdKind,
    pub value: String,
}

/// Kinds whose value is `qualifier:id`, searchable by the id alone.
const QUALIFIED: &[&str] = &["bank_account", "ewallet", "social"];

/// Identifiers matching what the user typed, in any written form: the query is
/// normalised as every kind would be, and an account or wallet number written
/// without its bank or provider matches it at any bank or provider.
pub fn search(conn: &mut PgConnection, banks: &[Bank], q: &str) -> QueryResult<Vec<Found>> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 300 {
        return Ok(Vec::new());
    }
    let mut exact: Vec<(IdKind, String)> = IdKind::ALL
        .iter()
        .filter_map(|k| normalise(*k, q, "").map(|v| (*k, v)))
        .collect();
    exact.extend(
        extract::extract(q, banks)
            .into_iter()
            .map(|s: Suggestion| (s.kind, s.value)),
    );
    let mut bare: Vec<String> = Vec::new();
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if q.chars().all(|c| c.is_ascii_digit() || " .-".contains(c))
        && (6..=19).contains(&digits.len())
    {
        bare.push(digits);
    }
    bare.extend(phone(q));
    if let Some(h) = social(q).and_then(|v| v.split_once(':').map(|(_, h)| h.to_owned())) {
        bare.push(h);
    }
    let mut cond: Box<
        dyn BoxableExpression<
            identifiers::table,
            diesel::pg::Pg,
            SqlType = diesel::sql_types::Bool,
        >,
    > = Box::new(sql::<diesel::sql_types::Bool>("FALSE"));
    for (kind, value) in exact {
        cond = Box::new(
            cond.or(identifiers::kind
                .eq(kind.code())
                .and(identifiers::value.eq(value))),
        );
    }
    for b in bare {
        cond = Box::new(
            cond.or(identifiers::kind.eq_any(QUALIFIED).and(
                sql::<diesel::sql_types::Bool>("split_part(identifiers.value, ':', 2) = ")
                    .bind::<Text, _>(b),
            )),
        );
    }
    identifiers::table
        .filter(cond)
        .order((identifiers::kind, identifiers::value))
        .limit(100)
        .select((identifiers::id, identifiers::kind, identifiers::value))
        .load(conn)
}

/// One row of the hot list.
#[derive(Clone, Debug, Queryable)]
pub struct Hot {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub reports: i64,
    pub loss: i64,
    pub last_seen: Option<DateTime<Utc>>,
}

pub const HOT_WINDOWS: &[i64] = &[7, 30, 90];
/// How many identifiers a window keeps (the page shows 50, the CSV all).
pub const HOT_KEEP: i64 = 1000;
/// A list older than this is recomputed before it is shown; housekeeping
/// refreshes every window more often than that, so pages rarely wait.
pub const HOT_MAX_AGE_MINUTES: i64 = 10;

/// Recomputes the hot list of a window: identifiers with at least two reports
/// received in the last `days` (victims' own numbers and spam excluded),
/// most reported first. One instance at a time (an advisory lock); returns
/// false when another is already at it.
pub fn refresh_hot(conn: &mut PgConnection, days: i64) -> QueryResult<bool> {
    use crate::db::schema::{hot_identifiers, hot_list_runs};
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            ok: bool,
        }
        let got: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock(7242, $1::int) AS ok")
            .bind::<BigInt, _>(days)
            .get_result(conn)?;
        if !got.ok {
            return Ok(false);
        }
        let since = Utc::now() - Duration::days(days);
        diesel::delete(hot_identifiers::table.filter(hot_identifiers::days.eq(days as i16)))
            .execute(conn)?;
        // Work memory for the two aggregations, so they stay off disk.
        diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn)?;
        diesel::sql_query(
            "INSERT INTO hot_identifiers (days, rank, identifier_id, reports, loss, last_seen)
             SELECT $1::smallint, row_number() OVER (ORDER BY reports DESC, loss DESC, identifier_id),
                    identifier_id, reports, loss, last_seen
             FROM (SELECT identifier_id, count(*)::bigint AS reports, COALESCE(sum(amount), 0)::bigint AS loss,
                          max(reported_at) AS last_seen
                   FROM (SELECT l.identifier_id, l.report_key, max(l.amount) AS amount, max(l.reported_at) AS reported_at
                         FROM identifier_links l
                         WHERE l.reported_at >= $2 AND l.role <> 'victim'
                           AND NOT EXISTS (SELECT 1 FROM submissions s
                                           WHERE s.id = l.submission_id AND l.case_id IS NULL AND s.status = 'spam')
                         GROUP BY l.identifier_id, l.report_key) r
                   GROUP BY identifier_id HAVING count(*) >= 2
                   ORDER BY reports DESC, loss DESC, identifier_id LIMIT $3) h",
        )
        .bind::<BigInt, _>(days)
        .bind::<Timestamptz, _>(since)
        .bind::<BigInt, _>(HOT_KEEP)
        .execute(conn)?;
        diesel::insert_into(hot_list_runs::table)
            .values((
                hot_list_runs::days.eq(days as i16),
                hot_list_runs::computed_at.eq(Utc::now()),
            ))
            .on_conflict(hot_list_runs::days)
            .do_update()
            .set(hot_list_runs::computed_at.eq(Utc::now()))
            .execute(conn)?;
        Ok(true)
    })
}

/// Refreshes every window whose list is older than `older_than` (housekeeping).
pub fn refresh_hot_lists(conn: &mut PgConnection, older_than: Duration) -> QueryResult<usize> {
    let mut n = 0;
    for days in HOT_WINDOWS {
        if hot_age(conn, *days)?.is_none_or(|at| at < Utc::now() - older_than)
            && refresh_hot(conn, *days)?
        {
            n += 1;
        }
    }
    Ok(n)
}

fn hot_age(conn: &mut PgConnection, days: i64) -> QueryResult<Option<DateTime<Utc>>> {
    use crate::db::schema::hot_list_runs;
    hot_list_runs::table
        .find(days as i16)
        .select(hot_list_runs::computed_at)
        .first(conn)
        .optional()
}

/// The identifiers reported most in the last `days`, for warnings to banks and
/// operators, and when the list was computed. Unit-wide counts, so
/// supervisors only: they may open every case.
pub fn hot(
    conn: &mut PgConnection,
    me: &CurrentUser,
    days: i64,
    limit: i64,
) -> Result<(Vec<Hot>, Option<DateTime<Utc>>), AppError> {
    use crate::db::schema::hot_identifiers;
    policy::require(me, policy::Action::SuperviseCases)?;
    if hot_age(conn, days)?
        .is_none_or(|at| at < Utc::now() - Duration::minutes(HOT_MAX_AGE_MINUTES))
    {
        refresh_hot(conn, days)?;
    }
    let rows = hot_identifiers::table
        .inner_join(identifiers::table)
        .filter(hot_identifiers::days.eq(days as i16))
        .order(hot_identifiers::rank)
        .limit(limit)
        .select((
            identifiers::id,
            identifiers::kind,
            identifiers::value,
            hot_identifiers::reports,
            hot_identifiers::loss,
            hot_identifiers::last_seen,
        ))
        .load(conn)?;
    Ok((rows, hot_age(conn, days)?))
}

/// Links an identifier to a case by hand (`source` officer) or by confirming
/// a suggestion (`extracted`).
pub fn add_to_case(
    conn: &mut PgConnection,
    c: &Case,
    by: i64,
    kind: IdKind,
    value: &str,
    role: &str,
    source: &str,
) -> QueryResult<(i64, bool)> {
    let r = Report {
        submission_id: None,
        case_id: Some(c.id),
        reported_at: c.received_at,
        reporter_key: reporter_key(c.reporter_phone.as_deref(), c.reporter_email.as_deref()),
    };
    link(
        conn,
        &r,
        &NewLink {
            kind,
            value,
            role,
            source,
            amount: 0,
            from_form: false,
            added_by: Some(by),
        },
    )
}

/// Removes a link added by hand or by confirmation (never a reporter's or the
/// form's); returns the identifier, or None when there was no such link.
pub fn remove_from_case(
    conn: &mut PgConnection,
    case_id: i64,
    link_id: i64,
) -> QueryResult<Option<(IdKind, String)>> {
    let found: Option<(IdKind, String)> = identifier_links::table
        .inner_join(identifiers::table)
        .filter(identifier_links::id.eq(link_id))
        .filter(identifier_links::case_id.eq(case_id))
        .filter(identifier_links::submission_id.is_null())
        .filter(identifier_links::from_form.eq(false))
        .filter(identifier_links::source.ne("reporter"))
        .select((identifiers::kind, identifiers::value))
        .first(conn)
        .optional()?;
    if found.is_some() {
        diesel::delete(identifier_links::table.find(link_id)).execute(conn)?;
    }
    Ok(found)
}

/// Suggestions from the case's texts that are not linked yet.
pub fn suggestions(texts: &[&str], banks: &[Bank], linked: &[Correlated]) -> Vec<Suggestion> {
    let have: HashSet<(IdKind, &str)> = linked.iter().map(|c| (c.kind, c.value.as_str())).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for t in texts {
        for s in extract::extract(t, banks) {
            if !have.contains(&(s.kind, s.value.as_str())) && seen.insert((s.kind, s.value.clone()))
            {
                out.push(s);
            }
        }
    }
    out.truncate(50);
    out
}

/// CSV of a case's identifiers (for a bank or operator request).
pub fn case_csv(rows: &[Correlated]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.into());
    w.write_record([
        "kind",
        "value",
        "role",
        "source",
        "amount_vnd",
        "other_cases",
        "other_submissions",
    ])
    .map_err(io)?;
    for r in rows {
        w.write_record([
            r.kind.code(),
            &csv_safe(&r.value),
            &r.role,
            &r.source,
            &r.amount.to_string(),
            &r.other_cases.to_string(),
            &r.other_submissions.to_string(),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(e.to_string().into()))
}

/// CSV of the hot list.
pub fn hot_csv(rows: &[Hot], tz: chrono_tz::Tz) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.into());
    w.write_record([
        "rank",
        "kind",
        "value",
        "reports",
        "total_loss_vnd",
        "last_seen",
    ])
    .map_err(io)?;
    for (i, r) in rows.iter().enumerate() {
        w.write_record([
            &(i + 1).to_string(),
            &r.kind,
            &csv_safe(&r.value),
            &r.reports.to_string(),
            &r.loss.to_string(),
            &r.last_seen
                .map(|t| t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string())
                .unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(e.to_string().into()))
}

/// A value that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is
/// prefixed with an apostrophe: exported values come from the public.
pub fn csv_safe(v: &str) -> String {
    let phone_like = v.starts_with('+') && v[1..].chars().all(|c| c.is_ascii_digit());
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) && !phone_like {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

/// A STIX 2.1 pattern for an infosec indicator, or None for other kinds.
pub fn stix_pattern(kind: IdKind, value: &str) -> Option<String> {
    let quote = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
    match kind {
        IdKind::Ip => {
            let obj = if value.contains(':') {
                "ipv6-addr"
            } else {
                "ipv4-addr"
            };
            Some(format!("[{obj}:value = '{}']", quote(value)))
        }
        IdKind::Domain => Some(format!("[domain-name:value = '{}']", quote(value))),
        IdKind::Url => Some(format!("[url:value = '{}']", quote(value))),
        IdKind::FileHash => {
            let (algo, hex) = value.split_once(':')?;
            let name = match algo {
                "md5" => "MD5",
                "sha1" => "SHA-1",
                "sha256" => "SHA-256",
                _ => return None,
            };
            Some(format!("[file:hashes.'{name}' = '{}']", quote(hex)))
        }
        _ => None,
    }
}

/// The case's infosec indicators (IP, domain, URL, file hash) as a STIX 2.1
/// bundle. Indicator ids are UUIDv5 of the pattern, so exporting again gives
/// the same ids and a receiving platform updates instead of duplicating.
pub fn stix_bundle(
    reference: &str,
    unit: &str,
    tlp_marking: &str,
    rows: &[Correlated],
    now: DateTime<Utc>,
) -> serde_json::Value {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6f2c_33a1_7b0e_4d8c_9b52_cd05_a5e2_11f7);
    let ts = now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let identity_id = format!("identity--{}", uuid::Uuid::new_v5(&NS, unit.as_bytes()));
    let mut objects = vec![serde_json::json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": ts,
        "modified": ts,
        "name": unit,
        "identity_class": "organization",
    })];
    for r in rows {
        let Some(pattern) = stix_pattern(r.kind, &r.value) else {
            continue;
        };
        let mut ind = serde_json::json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": format!("indicator--{}", uuid::Uuid::new_v5(&NS, pattern.as_bytes())),
            "created": ts,
            "modified": ts,
            "created_by_ref": identity_id,
            "name": format!("{} {}", r.kind.code(), r.value),
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": ts,
            "indicator_types": ["malicious-activity"],
            "external_references": [{ "source_name": "cyberdesk", "external_id": reference }],
        });
        ind["object_marking_refs"] = serde_json::json!([tlp_marking]);
        objects.push(ind);
    }
    serde_json::json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": objects,
    })
}

/// The STIX 2.1 TLP marking-definition id for a case's TLP (the standard's own ids).
pub fn stix_tlp(tlp: crate::models::case::Tlp) -> &'static str {
    use crate::models::case::Tlp;
    match tlp {
        Tlp::Clear => "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Green => "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Amber => "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        // STIX 2.1 predefines TLP 1.0 markings only: AMBER+STRICT goes out as
        // RED, the stricter of the two that exist.
        Tlp::Red | Tlp::AmberStrict => "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    }
}

/// What an officer sends to link an identifier to a case (typed by hand, or a
/// suggestion confirmed with one click).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub kind: String,
    pub value: String,
    pub qualifier: String,
    pub role: String,
    /// "extracted" when confirming a suggestion.
    pub source: String,
}

/// Links an identifier to a case `me` may work, with a timeline entry and an
/// audit row. A malformed value is refused with the field's error.
pub fn add(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &crate::auth::RequestMeta,
    reference: &str,
    form: &AddForm,
) -> Result<(), AppError> {
    use crate::i18n::k;
    use crate::services::form::FormErrors;
    let mut e = FormErrors::default();
    let kind = form.kind.parse::<IdKind>().ok();
    if kind.is_none() {
        e.add("id_kind", k("field-invalid-choice"));
    }
    let role = if form.role.is_empty() {
        "suspect"
    } else {
        form.role.as_str()
    };
    if !ROLES.contains(&role) {
        e.add("id_role", k("field-invalid-choice"));
    }
    let source = match form.source.as_str() {
        "extracted" => "extracted",
        _ => "officer",
    };
    conn.transaction(|conn| {
        let (c, watching) = crate::services::cases::load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        let qualifier = match kind {
            Some(IdKind::BankAccount) if !form.qualifier.trim().is_empty() => {
                match resolve_bank(conn, &form.qualifier)? {
                    Some(code) => code,
                    None => {
                        e.add("id_qualifier", k("identifier-unknown-bank"));
                        String::new()
                    }
                }
            }
            _ => form.qualifier.trim().to_owned(),
        };
        let value = kind.and_then(|kind| match kind {
            // A confirmed suggestion arrives normalised already ("VCB:0011…").
            IdKind::BankAccount if qualifier.is_empty() => form
                .value
                .split_once(':')
                .and_then(|(b, n)| bank_account(b, n))
                .or_else(|| bank_account("", &form.value)),
            IdKind::Ewallet if qualifier.is_empty() => form
                .value
                .split_once(':')
                .and_then(|(p, id)| ewallet(p, id)),
            _ => normalise(kind, &form.value, &qualifier),
        });
        let (Some(kind), Some(value)) = (kind, value) else {
            if kind.is_some() {
                e.add("id_value", k("identifier-invalid"));
            }
            return Err(AppError::Form(e));
        };
        if !e.is_empty() {
            return Err(AppError::Form(e));
        }
        let (id, new) = add_to_case(conn, &c, me.id, kind, &value, role, source)?;
        if new {
            record_change(
                conn,
                me,
                meta,
                &c,
                "identifier_link",
                (None, Some(format!("{}: {value}", kind.code()))),
                serde_json::json!({ "identifier": id, "kind": kind.code(), "role": role, "source": source }),
            )?;
        }
        Ok(())
    })
}

/// A timeline entry and an audit row for a linked or unlinked identifier.
fn record_change(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &crate::auth::RequestMeta,
    c: &Case,
    action: &'static str,
    (old_value, new_value): (Option<String>, Option<String>),
    data: serde_json::Value,
) -> Result<(), AppError> {
    use crate::models::case_event::{self, EventKind, NewEvent};
    case_event::insert(
        conn,
        &[NewEvent {
            old_value,
            new_value,
            data: Some(data.clone()),
            ..crate::services::cases::event(c, me, EventKind::Identifier)
        }],
    )?;
    crate::services::cases::audit_row(conn, me, meta, action, c, data)
}

/// Unlinks an identifier added by hand or confirmed (a mistake); reporters'
/// and the form's links stay. Timeline and audit record it.
pub fn remove(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &crate::auth::RequestMeta,
    reference: &str,
    link_id: i64,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let (c, watching) = crate::services::cases::load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) {
            return Err(AppError::Forbidden);
        }
        let Some((kind, value)) = remove_from_case(conn, c.id, link_id)? else {
            return Err(AppError::NotFound);
        };
        record_change(
            conn,
            me,
            meta,
            &c,
            "identifier_unlink",
            (Some(format!("{}: {value}", kind.code())), None),
            serde_json::json!({ "kind": kind.code(), "removed": true }),
        )?;
        Ok(())
    })
}
