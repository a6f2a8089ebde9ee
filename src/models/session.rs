//! `sessions`: server-side sign-in sessions, found by the SHA-256 of the cookie token.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{sessions, users};
use crate::models::user::User;

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = sessions, check_for_backend(Pg))]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub stage: Stage,
}

crate::text_enum!(
    /// How far a sign-in got (`docs/domain.md` §16).
    Stage, "session-stage" {
        Full => "full",
        SecondFactor => "second_factor",
        Enrol => "enrol",
    }
);

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub user_id: i64,
    pub token_hash: &'a [u8],
    pub csrf_token: &'a str,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub stage: Stage,
}

pub fn insert(conn: &mut PgConnection, new: &NewSession<'_>) -> QueryResult<Session> {
    diesel::insert_into(sessions::table)
        .values(new)
        .returning(Session::as_returning())
        .get_result(conn)
}

/// The session with this token hash and its user, whatever their state; the caller
/// decides about expiry and deactivation.
pub fn find_with_user(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<(Session, User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .select((Session::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

pub fn touch(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

/// Ends every session of a user except `keep` (after a password change).
pub fn delete_for_user(
    conn: &mut PgConnection,
    user_id: i64,
    keep: Option<i64>,
) -> QueryResult<usize> {
    let query = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep {
        Some(id) => diesel::delete(query.filter(sessions::id.ne(id))).execute(conn),
        None => diesel::delete(query).execute(conn),
    }
}

/// A user's sessions that are signed in (or enrolling), newest first.
pub fn of_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::stage.ne(Stage::SecondFactor))
        .order(sessions::last_seen_at.desc())
        .select(Session::as_select())
        .load(conn)
}

/// Completes a sign-in that had to set up its second factor: a new token
/// (the session is rotated) and the full stage.
pub fn promote(conn: &mut PgConnection, id: i64, token_hash: &[u8]) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::token_hash.eq(token_hash),
            sessions::stage.eq(Stage::Full),
        ))
        .execute(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Session> {
    sessions::table
        .find(id)
        .select(Session::as_select())
        .first(conn)
}

/// Removes sessions past their absolute lifetime or idle since `idle_before`.
pub fn delete_expired(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    idle_before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(now)
                .or(sessions::last_seen_at.lt(idle_before)),
        ),
    )
    .execute(conn)
}

pub fn count_for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .count()
        .get_result(conn)
}
