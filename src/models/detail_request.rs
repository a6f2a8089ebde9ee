//! `detail_requests`: one unit asking another for details about an
//! identifier both hold.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{detail_requests, identifier_links};

crate::code_enum!(
    RequestState, "request-state" {
        Open => "open",
        Answered => "answered",
        Declined => "declined",
    }
);
crate::sql_text!(RequestState);

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = detail_requests, check_for_backend(Pg))]
pub struct DetailRequest {
    pub id: i64,
    pub identifier_id: i64,
    pub from_unit: i32,
    pub to_unit: i32,
    pub asked_by: i64,
    pub message: String,
    pub state: RequestState,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = detail_requests)]
pub struct NewRequest<'a> {
    pub identifier_id: i64,
    pub from_unit: i32,
    pub to_unit: i32,
    pub asked_by: i64,
    pub message: &'a str,
}

pub fn insert(conn: &mut PgConnection, new: &NewRequest) -> QueryResult<DetailRequest> {
    diesel::insert_into(detail_requests::table)
        .values(new)
        .returning(DetailRequest::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<DetailRequest> {
    detail_requests::table
        .find(id)
        .select(DetailRequest::as_select())
        .first(conn)
}

pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<DetailRequest> {
    detail_requests::table
        .find(id)
        .for_update()
        .select(DetailRequest::as_select())
        .first(conn)
}

/// Requests to `unit` (incoming) or from it, newest first.
pub fn of_unit(
    conn: &mut PgConnection,
    unit: i32,
    incoming: bool,
    limit: i64,
) -> QueryResult<Vec<DetailRequest>> {
    let q = detail_requests::table.into_boxed();
    let q = if incoming {
        q.filter(detail_requests::to_unit.eq(unit))
    } else {
        q.filter(detail_requests::from_unit.eq(unit))
    };
    q.order((
        detail_requests::created_at.desc(),
        detail_requests::id.desc(),
    ))
    .limit(limit)
    .select(DetailRequest::as_select())
    .load(conn)
}

pub fn answer(
    conn: &mut PgConnection,
    id: i64,
    state: RequestState,
    by: i64,
    answer: &str,
) -> QueryResult<DetailRequest> {
    diesel::update(detail_requests::table.find(id))
        .set((
            detail_requests::state.eq(state),
            detail_requests::answer.eq(Some(answer)),
            detail_requests::answered_by.eq(Some(by)),
            detail_requests::answered_at.eq(Some(Utc::now())),
        ))
        .returning(DetailRequest::as_returning())
        .get_result(conn)
}

/// Whether `unit` holds identifier `id` in one of its cases or reports.
pub fn unit_holds(conn: &mut PgConnection, unit: i32, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        identifier_links::table
            .filter(identifier_links::identifier_id.eq(id))
            .filter(identifier_links::unit_id.eq(unit)),
    ))
    .get_result(conn)
}

/// The cases of `unit` that hold identifier `id` (what it may share).
pub fn cases_holding(conn: &mut PgConnection, unit: i32, id: i64) -> QueryResult<Vec<i64>> {
    identifier_links::table
        .filter(identifier_links::identifier_id.eq(id))
        .filter(identifier_links::unit_id.eq(unit))
        .filter(identifier_links::case_id.is_not_null())
        .select(identifier_links::case_id.assume_not_null())
        .distinct()
        .load(conn)
}
