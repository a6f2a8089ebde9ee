//! Exhibits (evidence files of a case) and their chain of custody. What is
//! recorded on receipt never changes and nothing is deleted (database triggers
//! refuse it); a withdrawal is added once, with its reason.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;

use crate::db::schema::{custody_events, exhibits};

crate::text_enum!(
    ExhibitKind, "exhibit-kind" {
        Evidence => "evidence",
        FinalReport => "final_report",
    }
);

crate::text_enum!(
    CustodyAction, "custody" {
        Received => "received",
        Viewed => "viewed",
        Downloaded => "downloaded",
        Verified => "verified",
        Exported => "exported",
        Withdrawn => "withdrawn",
        Refused => "refused",
    }
);

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = exhibits, check_for_backend(Pg))]
pub struct Exhibit {
    pub id: i64,
    pub case_id: i64,
    pub storage_id: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub detected_type: String,
    pub original_name: String,
    pub kind: ExhibitKind,
    pub source: String,
    pub description: String,
    pub exhibit_no: Option<String>,
    pub seal_no: Option<String>,
    pub received_at: DateTime<Utc>,
    pub received_by: Option<i64>,
    pub submission_file_id: Option<i64>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<i64>,
    pub withdrawn_reason: Option<String>,
}

impl Exhibit {
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn_at.is_some()
    }
}

#[derive(Insertable, Debug)]
#[diesel(table_name = exhibits)]
pub struct NewExhibit {
    pub case_id: i64,
    pub storage_id: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub detected_type: String,
    pub original_name: String,
    pub kind: ExhibitKind,
    pub source: &'static str,
    pub description: String,
    pub exhibit_no: Option<String>,
    pub seal_no: Option<String>,
    pub received_at: DateTime<Utc>,
    pub received_by: Option<i64>,
    pub submission_file_id: Option<i64>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = custody_events, check_for_backend(Pg))]
pub struct CustodyEvent {
    pub id: i64,
    pub exhibit_id: i64,
    pub action: CustodyAction,
    pub actor_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub ip: Option<String>,
    pub purpose: Option<String>,
    pub hash_ok: Option<bool>,
    pub sha256_seen: Option<String>,
    pub detail: Option<String>,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = custody_events)]
pub struct NewCustodyEvent {
    pub exhibit_id: i64,
    pub action: CustodyAction,
    pub actor_id: Option<i64>,
    pub at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub purpose: Option<String>,
    pub hash_ok: Option<bool>,
    pub sha256_seen: Option<String>,
    pub detail: Option<String>,
}

pub fn insert(conn: &mut PgConnection, new: &NewExhibit) -> QueryResult<Exhibit> {
    diesel::insert_into(exhibits::table)
        .values(new)
        .returning(Exhibit::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Exhibit> {
    exhibits::table
        .find(id)
        .select(Exhibit::as_select())
        .first(conn)
}

pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<Exhibit> {
    exhibits::table
        .find(id)
        .for_update()
        .select(Exhibit::as_select())
        .first(conn)
}

pub fn for_case(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<Exhibit>> {
    exhibits::table
        .filter(exhibits::case_id.eq(case_id))
        .order(exhibits::id)
        .select(Exhibit::as_select())
        .load(conn)
}

/// Whether a security incident may close: a final report that is not withdrawn.
pub fn has_final_report(conn: &mut PgConnection, case_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        exhibits::table
            .filter(exhibits::case_id.eq(case_id))
            .filter(exhibits::kind.eq(ExhibitKind::FinalReport))
            .filter(exhibits::withdrawn_at.is_null()),
    ))
    .get_result(conn)
}

/// Exhibits already made from these submission files (a triage that attaches
/// a submission twice must not make two exhibits of one file).
pub fn from_submission_files(conn: &mut PgConnection, file_ids: &[i64]) -> QueryResult<Vec<i64>> {
    exhibits::table
        .filter(exhibits::submission_file_id.eq_any(file_ids))
        .select(exhibits::submission_file_id.assume_not_null())
        .load(conn)
}

pub fn withdraw(
    conn: &mut PgConnection,
    id: i64,
    by: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        exhibits::table
            .find(id)
            .filter(exhibits::withdrawn_at.is_null()),
    )
    .set((
        exhibits::withdrawn_at.eq(at),
        exhibits::withdrawn_by.eq(by),
        exhibits::withdrawn_reason.eq(reason),
    ))
    .execute(conn)
}

pub fn log(conn: &mut PgConnection, e: &NewCustodyEvent) -> QueryResult<()> {
    diesel::insert_into(custody_events::table)
        .values(e)
        .execute(conn)
        .map(drop)
}

/// The custody log of these exhibits, oldest first.
pub fn custody(conn: &mut PgConnection, exhibit_ids: &[i64]) -> QueryResult<Vec<CustodyEvent>> {
    custody_events::table
        .filter(custody_events::exhibit_id.eq_any(exhibit_ids))
        .order((custody_events::exhibit_id, custody_events::id))
        .select(CustodyEvent::as_select())
        .load(conn)
}

/// Which of these stored files are exhibits (the orphan sweep must keep them).
pub fn existing_storage_ids(conn: &mut PgConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    exhibits::table
        .filter(exhibits::storage_id.eq_any(ids))
        .select(exhibits::storage_id)
        .load(conn)
}
