//! `rate_limits`: request allowances every instance shares (GCRA in the
//! `rate_take` function of migration 000029; `docs/operations.md`
//! *Running several instances*).

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

diesel::define_sql_function! {
    fn rate_take(scope: Text, key: Text, period_ms: BigInt, burst: Integer) -> Double;
}

diesel::define_sql_function! {
    #[sql_name = "rate_take_many"]
    fn rate_take_many(scope: Text, key: Text, period_ms: BigInt, burst: Integer, want: Integer)
        -> diesel::sql_types::Record<(Integer, Double)>;
}

/// Takes one of `burst` requests allowed per `period` under (scope, key):
/// `None` when allowed, otherwise how long until the next one is.
pub fn take(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    period: Duration,
    burst: u32,
) -> QueryResult<Option<Duration>> {
    let period_ms = i64::try_from(period.as_millis()).unwrap_or(i64::MAX);
    let burst = i32::try_from(burst.max(1)).unwrap_or(i32::MAX);
    let wait: f64 = diesel::select(rate_take(scope, key, period_ms, burst)).get_result(conn)?;
    Ok((wait > 0.0).then(|| Duration::from_secs_f64(wait.min(86_400.0))))
}

/// Takes up to `want` (at least one) of the same at once, as many as there
/// is room for: `Ok(granted)`, or `Err(wait)` when not even one is allowed.
pub fn take_many(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    period: Duration,
    burst: u32,
    want: u32,
) -> QueryResult<Result<u32, Duration>> {
    let period_ms = i64::try_from(period.as_millis()).unwrap_or(i64::MAX);
    let burst = i32::try_from(burst.max(1)).unwrap_or(i32::MAX);
    let want = i32::try_from(want.max(1)).unwrap_or(i32::MAX);
    let (granted, wait): (i32, f64) =
        diesel::select(rate_take_many(scope, key, period_ms, burst, want)).get_result(conn)?;
    Ok(match u32::try_from(granted) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Duration::from_secs_f64(wait.clamp(0.001, 86_400.0))),
    })
}

/// Forgets allowances that are whole again (housekeeping).
pub fn prune(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM rate_limits WHERE tat < now()").execute(conn)
}
