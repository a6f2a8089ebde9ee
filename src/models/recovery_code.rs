//! `recovery_codes`: single-use codes for when the authenticator is lost,
//! stored as SHA-256 hashes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::recovery_codes;

/// Replaces a user's codes with new ones (their hashes).
pub fn replace(conn: &mut PgConnection, user_id: i64, hashes: &[Vec<u8>]) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|h| {
            (
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(h),
            )
        })
        .collect();
    diesel::insert_into(recovery_codes::table)
        .values(rows)
        .execute(conn)
}

/// Uses the unused code with this hash: true when there was one (and it is
/// now used), false otherwise. One statement, so two requests cannot both
/// use it.
pub fn use_code(
    conn: &mut PgConnection,
    user_id: i64,
    hash: &[u8],
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(at))
    .execute(conn)?;
    Ok(n > 0)
}

/// Codes a user has left.
pub fn unused(conn: &mut PgConnection, user_id: i64) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

pub fn delete_all(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)
}
