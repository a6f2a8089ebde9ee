//! `login_attempts` and `login_lockouts`: the memory behind sign-in throttling.
//! Kept in PostgreSQL so every instance sees the same counts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{login_attempts, login_lockouts};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Locked,
    IpLimited,
}

impl Outcome {
    fn code(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Locked => "locked",
            Outcome::IpLimited => "ip_limited",
        }
    }
}

pub fn record(
    conn: &mut PgConnection,
    email: &str,
    ip: &str,
    outcome: Outcome,
) -> QueryResult<usize> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::email.eq(email),
            login_attempts::ip.eq(ip),
            login_attempts::outcome.eq(outcome.code()),
        ))
        .execute(conn)
}

/// Failures for an e-mail since `since` and after its last success.
pub fn recent_failures_for_email(
    conn: &mut PgConnection,
    email: &str,
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    let last_success: Option<DateTime<Utc>> = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::outcome.eq(Outcome::Success.code()))
        .select(diesel::dsl::max(login_attempts::at))
        .first(conn)?;
    let since = last_success.map_or(since, |s| s.max(since));
    login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::outcome.eq(Outcome::Failure.code()))
        .filter(login_attempts::at.gt(since))
        .count()
        .get_result(conn)
}

pub fn recent_failures_for_ip(
    conn: &mut PgConnection,
    ip: &str,
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::outcome.eq(Outcome::Failure.code()))
        .filter(login_attempts::at.gt(since))
        .count()
        .get_result(conn)
}

/// Attempts with `outcome` from an IP since `since`.
pub fn recent_count_for_ip(
    conn: &mut PgConnection,
    ip: &str,
    outcome: Outcome,
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::outcome.eq(outcome.code()))
        .filter(login_attempts::at.gt(since))
        .count()
        .get_result(conn)
}

pub fn locked_until(conn: &mut PgConnection, email: &str) -> QueryResult<Option<DateTime<Utc>>> {
    login_lockouts::table
        .find(email)
        .select(login_lockouts::locked_until)
        .first(conn)
        .optional()
}

pub fn lock(conn: &mut PgConnection, email: &str, until: DateTime<Utc>) -> QueryResult<usize> {
    diesel::insert_into(login_lockouts::table)
        .values((
            login_lockouts::email.eq(email),
            login_lockouts::locked_until.eq(until),
        ))
        .on_conflict(login_lockouts::email)
        .do_update()
        .set(login_lockouts::locked_until.eq(until))
        .execute(conn)
}

/// Forgets attempts and lockouts older than `before` (housekeeping).
pub fn purge(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    let a = diesel::delete(login_attempts::table.filter(login_attempts::at.lt(before)))
        .execute(conn)?;
    let b = diesel::delete(login_lockouts::table.filter(login_lockouts::locked_until.lt(before)))
        .execute(conn)?;
    Ok(a + b)
}
