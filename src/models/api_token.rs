//! `api_tokens`: API tokens, found by the SHA-256 of the token, with their
//! scopes, expiry, use counts and revocation (`docs/domain.md` §15).

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{api_tokens, users};
use crate::models::user::User;

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = api_tokens, check_for_backend(Pg))]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
    pub uses: i64,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Neither revoked nor expired at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

#[derive(Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a [u8],
    pub scopes: Vec<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
}

pub fn insert(conn: &mut PgConnection, new: &NewToken<'_>) -> QueryResult<ApiToken> {
    diesel::insert_into(api_tokens::table)
        .values(new)
        .returning(ApiToken::as_returning())
        .get_result(conn)
}

/// The token with this hash and its user, whatever their state; the caller
/// decides about expiry, revocation and deactivation.
pub fn find_with_user(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<(ApiToken, User)>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .select((ApiToken::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<ApiToken> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .for_update()
        .first(conn)
}

/// A user's tokens, newest first (live and past: the list is their record).
pub fn of_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.desc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// Live tokens of a user (a limit on how many one may hold).
pub fn live_count(conn: &mut PgConnection, user_id: i64, now: DateTime<Utc>) -> QueryResult<i64> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now)),
        )
        .count()
        .get_result(conn)
}

pub fn revoke(conn: &mut PgConnection, id: i64, by: i64, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set((
        api_tokens::revoked_at.eq(now),
        api_tokens::revoked_by.eq(by),
    ))
    .execute(conn)
}

/// Adds uses counted in memory since the last flush: `uses + n`, so several
/// instances each add their own.
pub fn add_uses(
    conn: &mut PgConnection,
    id: i64,
    n: i64,
    last: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set((
            api_tokens::uses.eq(api_tokens::uses + n),
            api_tokens::last_used_at.eq(diesel::dsl::sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
            >("GREATEST(last_used_at, ")
            .bind::<diesel::sql_types::Timestamptz, _>(last)
            .sql(")")),
        ))
        .execute(conn)
}
