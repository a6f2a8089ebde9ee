//! `data_requests`: reporters' requests to see or correct their data.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{data_requests, submissions};

crate::text_enum!(
    RequestKind, "data-request-kind" { Access => "access", Correction => "correction" }
);

crate::text_enum!(RequestState, "data-request-state" { Open => "open", Done => "done" });

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = data_requests, check_for_backend(Pg))]
pub struct DataRequest {
    pub id: i64,
    pub submission_id: i64,
    pub kind: RequestKind,
    pub body: String,
    pub state: RequestState,
    pub answer: Option<String>,
    pub done_by: Option<i64>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Open requests of a report at most (one who asks again waits for an answer).
pub const OPEN_MAX: i64 = 3;

pub fn insert(
    conn: &mut PgConnection,
    submission_id: i64,
    kind: RequestKind,
    body: &str,
) -> QueryResult<DataRequest> {
    diesel::insert_into(data_requests::table)
        .values((
            data_requests::submission_id.eq(submission_id),
            data_requests::kind.eq(kind),
            data_requests::body.eq(body),
        ))
        .returning(DataRequest::as_returning())
        .get_result(conn)
}

pub fn open_count(conn: &mut PgConnection, submission_id: i64) -> QueryResult<i64> {
    data_requests::table
        .filter(data_requests::submission_id.eq(submission_id))
        .filter(data_requests::state.eq(RequestState::Open))
        .count()
        .get_result(conn)
}

/// The requests of one report, oldest first.
pub fn of_submission(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<DataRequest>> {
    data_requests::table
        .filter(data_requests::submission_id.eq(submission_id))
        .order(data_requests::created_at.asc())
        .select(DataRequest::as_select())
        .load(conn)
}

/// The requests of the reports that became case `case_id`, oldest first.
pub fn of_case(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<DataRequest>> {
    data_requests::table
        .inner_join(submissions::table)
        .filter(submissions::case_id.eq(case_id))
        .order(data_requests::created_at.asc())
        .select(DataRequest::as_select())
        .load(conn)
}

/// Marks an open request of case `case_id` done; 0 rows when it is not
/// one of the case's or is already done.
pub fn close(
    conn: &mut PgConnection,
    case_id: i64,
    id: i64,
    by: i64,
    answer: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let of_case = submissions::table
        .filter(submissions::case_id.eq(case_id))
        .select(submissions::id);
    diesel::update(
        data_requests::table
            .filter(data_requests::id.eq(id))
            .filter(data_requests::state.eq(RequestState::Open))
            .filter(data_requests::submission_id.eq_any(of_case)),
    )
    .set((
        data_requests::state.eq(RequestState::Done),
        data_requests::answer.eq(answer),
        data_requests::done_by.eq(by),
        data_requests::done_at.eq(now),
    ))
    .execute(conn)
}

/// Anonymisation: the requests' texts through `redact`.
pub fn redact_of_case(
    conn: &mut PgConnection,
    case_id: i64,
    redact: &dyn Fn(&str) -> String,
) -> QueryResult<usize> {
    let mut n = 0;
    for r in of_case(conn, case_id)? {
        n += diesel::update(data_requests::table.find(r.id))
            .set((
                data_requests::body.eq(redact(&r.body)),
                data_requests::answer.eq(r.answer.as_deref().map(redact)),
            ))
            .execute(conn)?;
    }
    Ok(n)
}
