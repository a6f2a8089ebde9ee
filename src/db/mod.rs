//! The connection pool, embedded migrations and the one helper every query goes through.

pub mod schema;

use std::time::Duration;

use diesel::{
    pg::PgConnection,
    r2d2::{ConnectionManager, Pool},
    Connection, RunQueryDsl,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

pub type DbPool = Pool<ConnectionManager<PgConnection>>;
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Advisory-lock key that serialises migrations and first-run set-up across instances.
const MIGRATION_LOCK: i64 = 0x6379_6265_7264; // "cyberd"

/// Builds the pool without connecting: the server starts (and recovers) even if
/// PostgreSQL comes and goes; checkouts that time out become 503s.
pub fn build_pool(url: &str, max_size: u32, timeout: Duration) -> DbPool {
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(timeout)
        // A checkout runs a cheap `SELECT 1`, so connections broken by a database
        // restart are replaced instead of failing one request each.
        .test_on_check_out(true)
        .build_unchecked(ConnectionManager::new(url))
}

/// Runs `f` with a pooled connection on the blocking thread pool, never on an
/// async worker (actix has one single-threaded worker per core).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// One connection outside the pool (set-up steps before serving).
pub fn connect(url: &str) -> Result<PgConnection, BoxError> {
    Ok(PgConnection::establish(url)?)
}

/// Runs pending migrations on a dedicated connection, holding an advisory lock so
/// two instances starting together never race.
pub fn run_migrations(url: &str) -> Result<(), BoxError> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(&mut conn)?;
    let result = conn.run_pending_migrations(MIGRATIONS).map(|_| ());
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(&mut conn)?;
    result
}

/// Takes the set-up lock for the rest of the current transaction (first-run admin).
pub fn lock_setup(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).execute(conn)?;
    Ok(())
}

/// Creates the database named in `url` when it does not exist yet, connecting to the
/// server's `postgres` maintenance database. Concurrent creators are fine.
pub fn ensure_database(url: &str) -> Result<(), BoxError> {
    if PgConnection::establish(url).is_ok() {
        return Ok(());
    }
    let name = database_name(url).ok_or("DATABASE_URL has no database name")?;
    let admin_url = with_database(url, "postgres");
    let mut conn = PgConnection::establish(&admin_url)?;
    // SAFETY: `name` was checked by `database_name` to be [A-Za-z0-9_-] only.
    match diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn) {
        Ok(_) => {
            log::info!("created database {name}");
            Ok(())
        }
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("already exists")
                || info.message().contains("duplicate key") =>
        {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// The database name of a `postgres://` URL, if it is a plain identifier.
pub fn database_name(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let path = &rest[rest.find('/')? + 1..];
    let name = path.split('?').next()?;
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some(name)
}

/// `url` with its database name replaced (query string kept).
pub fn with_database(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let after = scheme_end + 3;
    let Some(slash) = url[after..].find('/') else {
        return format!("{url}/{name}");
    };
    let slash = after + slash;
    let query = url[slash..]
        .find('?')
        .map(|q| &url[slash + q..])
        .unwrap_or("");
    format!("{}/{name}{query}", &url[..slash])
}

/// `host:port` of a database URL, for messages and logs (never the password).
pub fn describe_url(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if host.is_empty() {
        "localhost:5432".into()
    } else if host.contains(':') && !host.ends_with(']') {
        host.into()
    } else {
        format!("{host}:5432")
    }
}

/// A round trip to the database (`/healthz`).
pub fn ping(conn: &mut PgConnection) -> diesel::QueryResult<usize> {
    diesel::sql_query("SELECT 1").execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_helpers_handle_credentials_ports_and_queries() {
        let u = "postgres://app:s3cret@db.internal:6543/cyberdesk?sslmode=require";
        assert_eq!(database_name(u), Some("cyberdesk"));
        assert_eq!(describe_url(u), "db.internal:6543");
        assert_eq!(
            with_database(u, "postgres"),
            "postgres://app:s3cret@db.internal:6543/postgres?sslmode=require"
        );
        assert_eq!(
            describe_url("postgres://postgres@127.0.0.1/x"),
            "127.0.0.1:5432"
        );
        assert_eq!(database_name("postgres://h/"), None);
        assert_eq!(database_name("postgres://h/a\"b"), None);
        assert_eq!(database_name("mysql://h/a"), None);
    }
}
