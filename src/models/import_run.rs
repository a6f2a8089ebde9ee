//! `import_runs` and `case_imports`: each upload, dry run and import of a
//! register, its progress and report; and which case came from which row of
//! which source, so a file imported twice creates nothing the second time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{case_imports, cases, import_runs};

crate::text_enum!(RunKind, "import-kind" { Upload => "upload", DryRun => "dry_run", Import => "import" });
crate::text_enum!(RunState, "import-state" { Queued => "queued", Running => "running", Done => "done", Failed => "failed" });

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = import_runs, check_for_backend(diesel::pg::Pg))]
pub struct Run {
    pub id: i64,
    pub kind: RunKind,
    pub upload_id: Option<i64>,
    pub unit_id: i32,
    pub source: String,
    pub file_name: String,
    pub file_key: String,
    pub file_sha256: String,
    pub file_size: i64,
    pub format: String,
    pub mapping: String,
    pub link_suggestions: bool,
    pub state: RunState,
    pub via: String,
    pub started_by: Option<i64>,
    pub rows_total: Option<i32>,
    pub rows_done: i32,
    pub created: i32,
    pub already: i32,
    pub differing: i32,
    pub rejected: i32,
    pub report: serde_json::Value,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = import_runs)]
pub struct NewRun<'a> {
    pub kind: RunKind,
    pub upload_id: Option<i64>,
    pub unit_id: i32,
    pub source: &'a str,
    pub file_name: &'a str,
    pub file_key: &'a str,
    pub file_sha256: &'a str,
    pub file_size: i64,
    pub format: &'a str,
    pub mapping: &'a str,
    pub link_suggestions: bool,
    pub state: RunState,
    pub via: &'a str,
    pub started_by: Option<i64>,
}

pub fn insert(conn: &mut PgConnection, r: &NewRun<'_>) -> QueryResult<Run> {
    diesel::insert_into(import_runs::table)
        .values(r)
        .returning(Run::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Run> {
    import_runs::table
        .find(id)
        .select(Run::as_select())
        .first(conn)
}

/// The most recent runs, newest first.
pub fn recent(conn: &mut PgConnection, limit: i64, offset: i64) -> QueryResult<Vec<Run>> {
    import_runs::table
        .order(import_runs::id.desc())
        .limit(limit)
        .offset(offset)
        .select(Run::as_select())
        .load(conn)
}

pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
    import_runs::table.count().get_result(conn)
}

/// The dry runs and imports of one upload, newest first.
pub fn of_upload(conn: &mut PgConnection, upload_id: i64) -> QueryResult<Vec<Run>> {
    import_runs::table
        .filter(import_runs::upload_id.eq(upload_id))
        .order(import_runs::id.desc())
        .select(Run::as_select())
        .load(conn)
}

/// Counts so far, written after each batch (its own statement, outside the
/// batch's transaction, so the progress page sees it at once).
#[derive(AsChangeset, Clone, Debug, Default)]
#[diesel(table_name = import_runs)]
pub struct Progress {
    pub state: Option<RunState>,
    pub format: Option<String>,
    pub rows_total: Option<Option<i32>>,
    pub rows_done: Option<i32>,
    pub created: Option<i32>,
    pub already: Option<i32>,
    pub differing: Option<i32>,
    pub rejected: Option<i32>,
    pub report: Option<serde_json::Value>,
    pub error: Option<Option<String>>,
    pub finished_at: Option<Option<DateTime<Utc>>>,
}

pub fn update(conn: &mut PgConnection, id: i64, p: &Progress) -> QueryResult<usize> {
    diesel::update(import_runs::table.find(id))
        .set((p, import_runs::updated_at.eq(Utc::now())))
        .execute(conn)
}

/// Whether an import of this upload is queued or running (one at a time).
pub fn busy(conn: &mut PgConnection, upload_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        import_runs::table
            .filter(import_runs::upload_id.eq(upload_id))
            .filter(import_runs::kind.eq(RunKind::Import))
            .filter(import_runs::state.eq_any([RunState::Queued, RunState::Running])),
    ))
    .get_result(conn)
}

/// Runs left `running` by a process that ended (a crash, a restart): silent
/// since `older_than`, they are marked failed; run again, they resume.
pub fn fail_abandoned(conn: &mut PgConnection, older_than: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        import_runs::table
            .filter(import_runs::state.eq_any([RunState::Queued, RunState::Running]))
            .filter(import_runs::updated_at.lt(older_than)),
    )
    .set((
        import_runs::state.eq(RunState::Failed),
        import_runs::error.eq(Some("interrupted")),
        import_runs::finished_at.eq(Some(Utc::now())),
    ))
    .execute(conn)
}

/// A case imported before from this source: which one, and the row as read.
#[derive(Clone, Debug)]
pub struct Imported {
    pub case_id: i64,
    pub reference: String,
    pub row_no: i32,
    pub data: serde_json::Value,
}

/// The cases already imported from `source` into the unit, by external id.
pub fn existing(
    conn: &mut PgConnection,
    unit_id: i32,
    source: &str,
    external_ids: &[&str],
) -> QueryResult<HashMap<String, Imported>> {
    let rows: Vec<(String, i64, String, i32, serde_json::Value)> = case_imports::table
        .inner_join(cases::table.on(cases::id.eq(case_imports::case_id)))
        .filter(case_imports::unit_id.eq(unit_id))
        .filter(case_imports::source.eq(source))
        .filter(case_imports::external_id.eq_any(external_ids))
        .select((
            case_imports::external_id,
            case_imports::case_id,
            cases::ref_,
            case_imports::row_no,
            case_imports::data,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(ext, case_id, reference, row_no, data)| {
            (
                ext,
                Imported {
                    case_id,
                    reference,
                    row_no,
                    data,
                },
            )
        })
        .collect())
}

/// Fresh statistics for the tables an import fills: they start a large
/// import near empty, and plans made for empty tables scan them whole.
pub fn analyze(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("ANALYZE case_imports, cases, identifiers, identifier_links")
        .execute(conn)?;
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = case_imports)]
pub struct NewImported<'a> {
    pub case_id: i64,
    pub unit_id: i32,
    pub source: &'a str,
    pub external_id: &'a str,
    pub run_id: i64,
    pub row_no: i32,
    pub data: serde_json::Value,
}

pub fn record(conn: &mut PgConnection, rows: &[NewImported<'_>]) -> QueryResult<usize> {
    diesel::insert_into(case_imports::table)
        .values(rows)
        .execute(conn)
}
