//! `cases`, `case_sequences`, `case_transactions`, `case_watchers`, `case_links`.
//! The list's queries are in `list`.

pub mod bulk;
pub mod list;
pub mod page;

use chrono::{DateTime, Utc};
use diesel::{
    dsl::sql,
    pg::Pg,
    prelude::*,
    sql_types::{Bool, Text},
};

use crate::db::schema::{case_links, case_sequences, case_transactions, case_watchers, cases};

pub use crate::domain::case::{CaseType, Status};
crate::sql_text!(CaseType);
crate::sql_text!(Status);

crate::text_enum!(Severity, "severity" { Low => "low", Medium => "medium", High => "high", Critical => "critical" });

impl Severity {
    /// Sort rank, most severe first.
    pub fn rank(self) -> i32 {
        match self {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
        }
    }
}

crate::text_enum!(Tlp, "tlp" { Clear => "CLEAR", Green => "GREEN", Amber => "AMBER", AmberStrict => "AMBER+STRICT", Red => "RED" });

crate::text_enum!(
    Channel, "channel" {
        InPerson => "in_person",
        Phone => "phone",
        Post => "post",
        Email => "email",
        OnlinePortal => "online_portal",
        Vneid => "vneid",
        Transfer => "transfer",
    }
);

crate::text_enum!(ReporterKind, "reporter-kind" { Individual => "individual", Organisation => "organisation", Anonymous => "anonymous" });

crate::text_enum!(IncidentState, "incident-state" { Handled => "handled", NotHandled => "not_handled" });

crate::text_enum!(
    Outcome, "outcome" {
        Prosecuted => "prosecuted",
        NotProsecuted => "not_prosecuted",
        AdministrativeFine => "administrative_fine",
        Remediated => "remediated",
        NoViolation => "no_violation",
    }
);

crate::text_enum!(
    PayMethod, "method" {
        BankTransfer => "bank_transfer",
        Ewallet => "ewallet",
        Card => "card",
        Crypto => "crypto",
        CashDeposit => "cash_deposit",
        Other => "other",
    }
);

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = cases, check_for_backend(Pg))]
pub struct Case {
    pub id: i64,
    pub ref_: String,
    pub case_type: CaseType,
    pub category_id: Option<i32>,
    pub subcategory_id: Option<i32>,
    pub title: String,
    pub description: String,
    pub channel: Channel,
    pub severity: Severity,
    pub tlp: Tlp,
    pub confidential_reporter: bool,
    pub restricted: bool,
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub team: Option<String>,
    pub received_at: DateTime<Utc>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub unit_name: String,
    pub reporter_kind: ReporterKind,
    pub reporter_name: Option<String>,
    pub reporter_tax_code: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_address: Option<String>,
    pub reporter_national_id: Option<String>,
    pub reporter_is_victim: bool,
    pub victims: Option<String>,
    pub total_loss: i64,
    pub affected_system: Option<String>,
    pub system_security_level: Option<i16>,
    pub operating_unit: Option<String>,
    pub owner_agency: Option<String>,
    pub detection_method: Option<String>,
    pub incident_state: Option<IncidentState>,
    pub ips_domains: Option<String>,
    pub outcome: Option<Outcome>,
    pub resolution_summary: Option<String>,
    pub receiving_agency: Option<String>,
    pub suspend_reason: Option<String>,
    pub merged_into_id: Option<i64>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub deadline_kind: Option<String>,
    pub version: i32,
    pub created_by: i64,
    pub updated_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub unit_id: i32,
    pub classified_at: Option<DateTime<Utc>>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decide_compliance: Option<String>,
    /// The basis in force on the day it was received (`docs/domain.md` §18).
    pub legal_basis_id: Option<i32>,
    /// A legal hold: personal data kept whatever the retention rules say.
    pub hold_reason: Option<String>,
    pub hold_by: Option<i64>,
    pub hold_at: Option<DateTime<Utc>>,
    /// When reporters' and victims' personal data were replaced (`docs/domain.md` §19).
    pub anonymised_at: Option<DateTime<Utc>>,
}

/// The fields an officer types: the same struct inserts a new case and overwrites
/// an edited one (every field is written, so clearing a field clears it).
#[derive(Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = cases, treat_none_as_null = true)]
pub struct CaseFields {
    pub category_id: Option<i32>,
    pub subcategory_id: Option<i32>,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub tlp: Tlp,
    pub confidential_reporter: bool,
    pub team: Option<String>,
    pub received_at: DateTime<Utc>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub reporter_kind: ReporterKind,
    pub reporter_name: Option<String>,
    pub reporter_tax_code: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_address: Option<String>,
    pub reporter_national_id: Option<String>,
    pub reporter_is_victim: bool,
    pub victims: Option<String>,
    pub affected_system: Option<String>,
    pub system_security_level: Option<i16>,
    pub operating_unit: Option<String>,
    pub owner_agency: Option<String>,
    pub detection_method: Option<String>,
    pub incident_state: Option<IncidentState>,
    pub ips_domains: Option<String>,
}

/// Columns set once at creation.
#[derive(Insertable)]
#[diesel(table_name = cases)]
pub struct NewCaseMeta<'a> {
    pub ref_: &'a str,
    pub case_type: CaseType,
    pub ref_year: i32,
    pub ref_seq: i32,
    pub channel: Channel,
    pub unit_name: &'a str,
    pub unit_id: i32,
    pub created_by: i64,
    pub updated_by: i64,
    pub total_loss: i64,
    pub search_extra: &'a str,
    pub legal_basis_id: Option<i32>,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, PartialEq)]
#[diesel(table_name = case_transactions, check_for_backend(Pg))]
pub struct Transaction {
    pub position: i32,
    pub occurred_at: Option<DateTime<Utc>>,
    pub amount: i64,
    pub method: PayMethod,
    pub from_bank: Option<String>,
    pub from_account: Option<String>,
    pub to_bank: Option<String>,
    pub to_account: Option<String>,
    pub to_holder: Option<String>,
    pub reference: Option<String>,
}

/// Next number for (unit, type, year): a row lock serialises concurrent
/// creators and a rollback returns the number, so numbers have no duplicates
/// and no gaps.
pub fn next_seq(
    conn: &mut PgConnection,
    unit_id: i32,
    case_type: CaseType,
    year: i32,
) -> QueryResult<i32> {
    diesel::insert_into(case_sequences::table)
        .values((
            case_sequences::unit_id.eq(unit_id),
            case_sequences::case_type.eq(case_type.code()),
            case_sequences::year.eq(year),
            case_sequences::last_seq.eq(1),
        ))
        .on_conflict((
            case_sequences::unit_id,
            case_sequences::case_type,
            case_sequences::year,
        ))
        .do_update()
        .set(case_sequences::last_seq.eq(case_sequences::last_seq + 1))
        .returning(case_sequences::last_seq)
        .get_result(conn)
}

pub fn insert(
    conn: &mut PgConnection,
    meta: &NewCaseMeta<'_>,
    fields: &CaseFields,
) -> QueryResult<Case> {
    diesel::insert_into(cases::table)
        .values((meta, fields))
        .returning(Case::as_returning())
        .get_result(conn)
}

/// The case's legal basis (`docs/domain.md` §18), after its receipt day changed.
pub fn set_legal_basis(conn: &mut PgConnection, id: i64, basis: Option<i32>) -> QueryResult<usize> {
    diesel::update(cases::table.find(id))
        .set(cases::legal_basis_id.eq(basis))
        .execute(conn)
}

pub fn find_by_ref(conn: &mut PgConnection, reference: &str) -> QueryResult<Case> {
    cases::table
        .filter(cases::ref_.eq(reference))
        .select(Case::as_select())
        .first(conn)
}

/// The case and the ids of its watchers, in one round trip (`lock` takes the row
/// lock for the rest of the transaction).
pub fn with_watchers(
    conn: &mut PgConnection,
    reference: &str,
    lock: bool,
) -> QueryResult<(Case, Vec<i64>)> {
    let watchers = crate::db::fixed::fixed::<diesel::sql_types::Array<diesel::sql_types::BigInt>>(
        "ARRAY(SELECT w.user_id FROM case_watchers w WHERE w.case_id = cases.id)",
    );
    let query = cases::table
        .filter(cases::ref_.eq(reference))
        .select((Case::as_select(), watchers));
    if lock {
        query.for_update().first(conn)
    } else {
        query.first(conn)
    }
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Case> {
    cases::table.find(id).select(Case::as_select()).first(conn)
}

/// Locks the row for the rest of the transaction (every change goes through here).
pub fn lock_by_ref(conn: &mut PgConnection, reference: &str) -> QueryResult<Case> {
    cases::table
        .filter(cases::ref_.eq(reference))
        .select(Case::as_select())
        .for_update()
        .first(conn)
}

/// Overwrites the typed fields and what derives from them (total loss, search
/// text), and bumps the version once.
pub fn update_fields(
    conn: &mut PgConnection,
    id: i64,
    fields: &CaseFields,
    total_loss: i64,
    search_extra: &str,
    actor: i64,
) -> QueryResult<Case> {
    diesel::update(cases::table.find(id))
        .set((
            fields,
            cases::total_loss.eq(total_loss),
            cases::search_extra.eq(search_extra),
            cases::version.eq(cases::version + 1),
            cases::updated_by.eq(actor),
            cases::updated_at.eq(Utc::now()),
        ))
        .returning(Case::as_returning())
        .get_result(conn)
}

/// Workflow columns a service changes outside the edit form.
#[derive(AsChangeset, Default)]
#[diesel(table_name = cases)]
pub struct CaseState {
    pub status: Option<Status>,
    pub case_type: Option<CaseType>,
    pub assignee_id: Option<Option<i64>>,
    pub team: Option<Option<String>>,
    pub outcome: Option<Option<Outcome>>,
    pub resolution_summary: Option<Option<String>>,
    pub receiving_agency: Option<Option<String>>,
    pub suspend_reason: Option<Option<String>>,
    pub merged_into_id: Option<Option<i64>>,
    pub deadline_at: Option<Option<DateTime<Utc>>>,
    pub deadline_kind: Option<Option<String>>,
    /// The moments statistics measure (`docs/domain.md` §13).
    pub classified_at: Option<Option<DateTime<Utc>>>,
    pub assigned_at: Option<Option<DateTime<Utc>>>,
    pub decided_at: Option<Option<DateTime<Utc>>>,
    pub decide_compliance: Option<Option<String>>,
}

pub fn update_state(
    conn: &mut PgConnection,
    id: i64,
    state: &CaseState,
    actor: i64,
) -> QueryResult<Case> {
    diesel::update(cases::table.find(id))
        .set((
            state,
            cases::version.eq(cases::version + 1),
            cases::updated_by.eq(actor),
            cases::updated_at.eq(Utc::now()),
        ))
        .returning(Case::as_returning())
        .get_result(conn)
}

/// Sets the denormalised deadline without counting as an edit.
pub fn set_deadline(
    conn: &mut PgConnection,
    id: i64,
    at: Option<DateTime<Utc>>,
    kind: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(cases::table.find(id))
        .set((cases::deadline_at.eq(at), cases::deadline_kind.eq(kind)))
        .execute(conn)
}

pub fn transactions(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<Transaction>> {
    case_transactions::table
        .filter(case_transactions::case_id.eq(case_id))
        .order(case_transactions::position.asc())
        .select(Transaction::as_select())
        .load(conn)
}

/// Replaces the money rows of a case.
pub fn replace_transactions(
    conn: &mut PgConnection,
    case_id: i64,
    rows: &[Transaction],
) -> QueryResult<()> {
    diesel::delete(case_transactions::table.filter(case_transactions::case_id.eq(case_id)))
        .execute(conn)?;
    if !rows.is_empty() {
        let values: Vec<_> = rows
            .iter()
            .map(|r| (case_transactions::case_id.eq(case_id), r))
            .collect();
        diesel::insert_into(case_transactions::table)
            .values(values)
            .execute(conn)?;
    }
    Ok(())
}

pub fn watcher_ids(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<i64>> {
    case_watchers::table
        .filter(case_watchers::case_id.eq(case_id))
        .select(case_watchers::user_id)
        .load(conn)
}

pub fn is_watcher(conn: &mut PgConnection, case_id: i64, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        case_watchers::table
            .filter(case_watchers::case_id.eq(case_id))
            .filter(case_watchers::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

pub fn add_watcher(
    conn: &mut PgConnection,
    case_id: i64,
    user_id: i64,
    by: i64,
) -> QueryResult<usize> {
    diesel::insert_into(case_watchers::table)
        .values((
            case_watchers::case_id.eq(case_id),
            case_watchers::user_id.eq(user_id),
            case_watchers::added_by.eq(by),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
}

pub fn remove_watcher(conn: &mut PgConnection, case_id: i64, user_id: i64) -> QueryResult<usize> {
    diesel::delete(
        case_watchers::table
            .filter(case_watchers::case_id.eq(case_id))
            .filter(case_watchers::user_id.eq(user_id)),
    )
    .execute(conn)
}

/// Links two cases both ways; returns false when they were linked already.
pub fn link(conn: &mut PgConnection, a: i64, b: i64, by: i64) -> QueryResult<bool> {
    let n = diesel::insert_into(case_links::table)
        .values(vec![
            (
                case_links::case_id.eq(a),
                case_links::other_id.eq(b),
                case_links::created_by.eq(by),
            ),
            (
                case_links::case_id.eq(b),
                case_links::other_id.eq(a),
                case_links::created_by.eq(by),
            ),
        ])
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(n > 0)
}

/// Cases linked to `case_id` (id, ref, title, status), for the case page; the caller
/// filters what the user may see.
pub fn linked(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<Case>> {
    cases::table
        .inner_join(case_links::table.on(case_links::other_id.eq(cases::id)))
        .filter(case_links::case_id.eq(case_id))
        .order(cases::received_at.desc())
        .select(Case::as_select())
        .load(conn)
}

/// Who the list and search show a case to (`docs/domain.md` §1): supervisors see
/// every case of their unit; an officer sees, within their unit, cases assigned
/// to them and, unless restricted (confidential reporter or TLP:RED), cases of
/// their team, created by them, or watched.
#[derive(Clone, Debug)]
pub enum Visibility {
    Unit {
        unit_id: i32,
    },
    Officer {
        unit_id: i32,
        user_id: i64,
        team: Option<String>,
    },
    Nothing,
}

pub type CaseFilterExpr = Box<dyn BoxableExpression<cases::table, Pg, SqlType = Bool>>;

pub fn visible(vis: &Visibility) -> CaseFilterExpr {
    match vis {
        Visibility::Unit { unit_id } => Box::new(cases::unit_id.eq(*unit_id)),
        Visibility::Nothing => Box::new(crate::db::fixed::fixed::<Bool>("FALSE")),
        Visibility::Officer {
            unit_id,
            user_id,
            team,
        } => {
            let watched = case_watchers::table
                .filter(case_watchers::user_id.eq(*user_id))
                .select(case_watchers::case_id);
            let mut open_to_me: CaseFilterExpr =
                Box::new(cases::created_by.eq(*user_id).or(cases::id.eq_any(watched)));
            if let Some(team) = team.clone() {
                open_to_me = Box::new(open_to_me.or(cases::team.eq(team).assume_not_null()));
            }
            Box::new(
                cases::unit_id.eq(*unit_id).and(
                    cases::assignee_id
                        .eq(*user_id)
                        .assume_not_null()
                        .or(cases::restricted.eq(false).and(open_to_me)),
                ),
            )
        }
    }
}

/// How many of the most recent matches a text search considers. Ranking every match
/// of a broad query ("lừa đảo" hits a large share of a million cases) would read
/// them all; the newest ones are what an investigator looks for first.
pub const SEARCH_WINDOW: i64 = 500;

/// Accent-insensitive full-text match (PostgreSQL `unaccent` + `simple` config).
/// Callers bound it: `case_list` takes the `SEARCH_WINDOW` most recent matches the
/// user may see.
pub fn matches_text(query: &str) -> CaseFilterExpr {
    Box::new(
        sql::<Bool>("cases.search_vec @@ websearch_to_tsquery('simple', f_unaccent(")
            .bind::<Text, _>(query.to_owned())
            .sql("))"),
    )
}

/// Which of these cases the user may open.
pub fn visible_among(
    conn: &mut PgConnection,
    vis: &Visibility,
    case_ids: &[i64],
) -> QueryResult<std::collections::HashSet<i64>> {
    let mut open = std::collections::HashSet::new();
    for chunk in case_ids.chunks(10_000) {
        let ids: Vec<i64> = cases::table
            .filter(cases::id.eq_any(chunk))
            .filter(visible(vis))
            .select(cases::id)
            .load(conn)?;
        open.extend(ids);
    }
    Ok(open)
}

/// (reference, title, status) of each of `ids`.
pub fn summaries(
    conn: &mut PgConnection,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, (String, String, Status)>> {
    Ok(cases::table
        .filter(cases::id.eq_any(ids))
        .select((cases::id, cases::ref_, cases::title, cases::status))
        .load::<(i64, String, String, Status)>(conn)?
        .into_iter()
        .map(|(id, r, t, s)| (id, (r, t, s)))
        .collect())
}

/// A case as a deadline digest lists it.
#[derive(Queryable)]
pub struct DueCase {
    pub ref_: String,
    pub title: String,
    pub restricted: bool,
    pub status: Status,
    pub deadline_at: Option<DateTime<Utc>>,
}

/// Open cases (of `assignee`, or all) whose deadline falls in `[from, to)`
/// (`from` None: any time before `to`), soonest first: the first `limit` and
/// how many there are.
pub fn due_between(
    conn: &mut PgConnection,
    unit_id: i32,
    assignee: Option<i64>,
    (from, to): (Option<DateTime<Utc>>, DateTime<Utc>),
    limit: i64,
) -> QueryResult<(Vec<DueCase>, i64)> {
    let base = || {
        let mut q = cases::table
            .filter(cases::unit_id.eq(unit_id))
            .filter(cases::status.eq_any(Status::open()))
            .filter(cases::deadline_at.lt(to))
            .into_boxed();
        if let Some(from) = from {
            q = q.filter(cases::deadline_at.ge(from));
        }
        if let Some(a) = assignee {
            q = q.filter(cases::assignee_id.eq(a));
        }
        q
    };
    let total: i64 = base().count().get_result(conn)?;
    let rows = base()
        .order((cases::deadline_at.asc(), cases::id.asc()))
        .limit(limit)
        .select((
            cases::ref_,
            cases::title,
            cases::restricted,
            cases::status,
            cases::deadline_at,
        ))
        .load(conn)?;
    Ok((rows, total))
}
