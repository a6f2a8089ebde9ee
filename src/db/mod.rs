//! The connection pool, embedded migrations and the one helper every query goes through.

pub mod fixed;
pub mod replica;
pub mod schema;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::{
    pg::PgConnection,
    r2d2::{ConnectionManager, ManageConnection, Pool},
    Connection, RunQueryDsl,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

pub type DbPool = Pool<Manager>;
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
        // `Manager::is_valid` decides when a checkout pings.
        .test_on_check_out(true)
        .build_unchecked(Manager {
            inner: ConnectionManager::new(url),
            last_death: std::sync::Mutex::new(None),
        })
}

/// A connection that came back to the pool this recently, without an error
/// that says it died, is handed out without a `SELECT 1` first: under load
/// that ping was two of a case page's thirteen round trips.
const FRESH: Duration = Duration::from_secs(1);

/// A pooled connection: PostgreSQL's, with when it last came back healthy.
pub struct PooledPg {
    pg: PgConnection,
    returned: Instant,
    /// A query on it failed in a way that may mean the server went.
    pub broken: bool,
}

impl std::ops::Deref for PooledPg {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.pg
    }
}

impl std::ops::DerefMut for PooledPg {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.pg
    }
}

/// diesel's r2d2 manager, pinging only connections idle longer than `FRESH`
/// (a database restart takes longer than that) or returned before the last
/// one found dead (its siblings most likely died with it), and dropping those
/// a query found dead.
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    /// When a connection was last found dead (`None`: never).
    last_death: std::sync::Mutex<Option<Instant>>,
}

impl Manager {
    fn died_after(&self, at: Instant) -> bool {
        self.last_death
            .lock()
            .map(|d| d.is_some_and(|d| d >= at))
            .unwrap_or(true)
    }
}

impl ManageConnection for Manager {
    type Connection = PooledPg;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PooledPg, Self::Error> {
        Ok(PooledPg {
            pg: self.inner.connect()?,
            returned: Instant::now(),
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut PooledPg) -> Result<(), Self::Error> {
        if conn.returned.elapsed() < FRESH && !self.died_after(conn.returned) {
            return Ok(());
        }
        self.inner.is_valid(&mut conn.pg)
    }

    fn has_broken(&self, conn: &mut PooledPg) -> bool {
        if conn.broken || self.inner.has_broken(&mut conn.pg) {
            if let Ok(mut d) = self.last_death.lock() {
                *d = Some(Instant::now());
            }
            return true;
        }
        conn.returned = Instant::now();
        false
    }
}

/// Callers of `with_conn` waiting for a connection now (`/metrics`).
static WAITING: AtomicUsize = AtomicUsize::new(0);

pub fn waiting() -> usize {
    WAITING.load(Ordering::Relaxed)
}

/// Runs `f` on a pooled connection (blocking), replacing the connection when
/// `f` failed as if the server had gone.
pub fn with_conn<T>(
    pool: &DbPool,
    f: impl FnOnce(&mut PgConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    WAITING.fetch_add(1, Ordering::Relaxed);
    let got = pool.get();
    WAITING.fetch_sub(1, Ordering::Relaxed);
    let mut conn = got?;
    let result = f(&mut conn);
    // A backend killed mid-session first answers with an ordinary error
    // (57P01, an `Internal`), and only the next query finds the socket closed.
    if matches!(result, Err(AppError::Unavailable | AppError::Internal(_))) {
        conn.broken = true;
    }
    result
}

/// Runs `f` with a pooled connection on the blocking thread pool, never on an
/// async worker (actix has one single-threaded worker per core).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    // Lines logged while this runs name the request they work for.
    let id = crate::error::request_id();
    actix_web::web::block(move || crate::error::with_request_id(id, || with_conn(&pool, f))).await?
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
