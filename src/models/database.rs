//! Questions about the database as a whole rather than one table: what a
//! backup records and a restore checks (`docs/deploy.md`, *Backups that
//! restore*), and the figures `/metrics` shows.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Exports the open transaction's snapshot for `pg_dump --snapshot`; the
/// transaction must be REPEATABLE READ and stay open until pg_dump has started.
pub fn export_snapshot(conn: &mut PgConnection) -> QueryResult<String> {
    diesel::sql_query("SELECT pg_export_snapshot() AS name")
        .get_result::<Name>(conn)
        .map(|r| r.name)
}

pub fn server_version(conn: &mut PgConnection) -> QueryResult<String> {
    diesel::sql_query("SELECT current_setting('server_version') AS name")
        .get_result::<Name>(conn)
        .map(|r| r.name)
}

/// The tables of the application's schema.
pub fn tables(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    )
    .load::<Name>(conn)?
    .into_iter()
    .map(|r| r.name)
    .collect())
}

/// Rows in every table of the schema (exact: a backup's manifest).
pub fn row_counts(conn: &mut PgConnection) -> QueryResult<BTreeMap<String, i64>> {
    let mut counts = BTreeMap::new();
    for table in tables(conn)? {
        // The name comes from the catalogue, quoted as an identifier.
        let sql = format!(
            "SELECT count(*) AS n FROM \"{}\"",
            table.replace('"', "\"\"")
        );
        let n = diesel::sql_query(sql).get_result::<Count>(conn)?.n;
        counts.insert(table, n);
    }
    Ok(counts)
}

/// A file the database refers to, where it lives and its recorded hash.
#[derive(QueryableByName, Clone, Debug)]
pub struct StoredRef {
    /// `evidence` (exhibits and public-report attachments) or `imports`.
    #[diesel(sql_type = Text)]
    pub area: String,
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Text)]
    pub sha256: String,
    #[diesel(sql_type = BigInt)]
    pub size_bytes: i64,
}

/// Every stored file a row refers to. The same evidence file can be named
/// twice (an attachment kept as an exhibit when a report became a case).
pub fn stored_files(conn: &mut PgConnection) -> QueryResult<Vec<StoredRef>> {
    diesel::sql_query(
        "SELECT 'evidence' AS area, storage_id AS key, min(sha256) AS sha256, min(size_bytes) AS size_bytes \
           FROM (SELECT storage_id, sha256, size_bytes FROM exhibits \
                 UNION ALL SELECT storage_id, sha256, size_bytes FROM submission_files) f \
          GROUP BY storage_id \
         UNION ALL \
         SELECT 'imports', file_key, min(file_sha256), min(file_size) FROM import_runs \
          WHERE file_key <> '' GROUP BY file_key \
         ORDER BY 1, 2",
    )
    .load(conn)
}

/// Figures of the whole system for `/metrics` (one round trip).
#[derive(QueryableByName, Debug, Default)]
pub struct Gauges {
    #[diesel(sql_type = BigInt)]
    pub outbox_queued: i64,
    #[diesel(sql_type = BigInt)]
    pub outbox_failed: i64,
    /// Seconds since the oldest queued mail was queued (0: none).
    #[diesel(sql_type = Double)]
    pub outbox_oldest: f64,
    #[diesel(sql_type = BigInt)]
    pub intake_pending: i64,
    #[diesel(sql_type = Double)]
    pub intake_oldest: f64,
    /// Seconds since the hot lists were last computed (-1: never).
    #[diesel(sql_type = Double)]
    pub hotlist_age: f64,
}

pub fn gauges(conn: &mut PgConnection) -> QueryResult<Gauges> {
    diesel::sql_query(
        "SELECT \
           (SELECT count(*) FROM email_outbox WHERE status = 'queued') AS outbox_queued, \
           (SELECT count(*) FROM email_outbox WHERE status = 'failed') AS outbox_failed, \
           COALESCE((SELECT extract(epoch FROM now() - min(created_at))::float8 \
                       FROM email_outbox WHERE status = 'queued'), 0) AS outbox_oldest, \
           (SELECT count(*) FROM submissions WHERE status IN ('new', 'info_requested')) AS intake_pending, \
           COALESCE((SELECT extract(epoch FROM now() - min(received_at))::float8 \
                       FROM submissions WHERE status IN ('new', 'info_requested')), 0) AS intake_oldest, \
           COALESCE((SELECT extract(epoch FROM now() - max(computed_at))::float8 \
                       FROM hot_list_runs), -1) AS hotlist_age",
    )
    .get_result(conn)
}
