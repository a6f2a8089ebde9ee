//! `case_shares`: cases a unit shared read-only with another in answer to a
//! request for details, until revoked.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::case_shares;

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = case_shares, check_for_backend(Pg))]
pub struct Share {
    pub id: i64,
    pub request_id: i64,
    pub case_id: i64,
    pub shared_by: i64,
    pub shared_at: DateTime<Utc>,
    pub revoked_by: Option<i64>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub fn insert(
    conn: &mut PgConnection,
    request_id: i64,
    case_ids: &[i64],
    by: i64,
) -> QueryResult<usize> {
    let rows: Vec<_> = case_ids
        .iter()
        .map(|c| {
            (
                case_shares::request_id.eq(request_id),
                case_shares::case_id.eq(*c),
                case_shares::shared_by.eq(by),
            )
        })
        .collect();
    diesel::insert_into(case_shares::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)
}

pub fn of_request(conn: &mut PgConnection, request_id: i64) -> QueryResult<Vec<Share>> {
    case_shares::table
        .filter(case_shares::request_id.eq(request_id))
        .order(case_shares::id.asc())
        .select(Share::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Share> {
    case_shares::table
        .find(id)
        .select(Share::as_select())
        .first(conn)
}

/// Revokes a share still in force; false if it was already revoked.
pub fn revoke(conn: &mut PgConnection, id: i64, by: i64) -> QueryResult<bool> {
    let n = diesel::update(
        case_shares::table
            .find(id)
            .filter(case_shares::revoked_at.is_null()),
    )
    .set((
        case_shares::revoked_by.eq(Some(by)),
        case_shares::revoked_at.eq(Some(Utc::now())),
    ))
    .execute(conn)?;
    Ok(n > 0)
}
