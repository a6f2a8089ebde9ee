//! `case_events`: the timeline of a case. Rows are only ever added.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{case_events, users};

crate::text_enum!(
    EventKind, "event" {
        Created => "created",
        Note => "note",
        Status => "status",
        Assignment => "assignment",
        Field => "field",
        Deadline => "deadline",
        Link => "link",
        Merge => "merge",
        Watcher => "watcher",
        Reporter => "reporter",
        Submission => "submission",
        Exhibit => "exhibit",
        Identifier => "identifier",
        Transfer => "transfer",
        Recovery => "recovery",
        Imported => "imported",
    }
);

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = case_events, check_for_backend(Pg))]
pub struct CaseEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub kind: EventKind,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub body: Option<String>,
    pub data: serde_json::Value,
}

#[derive(Insertable, Default)]
#[diesel(table_name = case_events)]
pub struct NewEvent {
    pub case_id: i64,
    pub actor_id: Option<i64>,
    pub kind: Option<EventKind>,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub body: Option<String>,
    pub data: Option<serde_json::Value>,
}

pub fn insert(conn: &mut PgConnection, events: &[NewEvent]) -> QueryResult<usize> {
    diesel::insert_into(case_events::table)
        .values(events)
        .execute(conn)
}

/// The timeline with each actor's name, oldest or newest first.
pub fn list(
    conn: &mut PgConnection,
    case_id: i64,
    newest_first: bool,
) -> QueryResult<Vec<(CaseEvent, Option<String>)>> {
    let query = case_events::table
        .left_join(users::table.on(users::id.nullable().eq(case_events::actor_id)))
        .filter(case_events::case_id.eq(case_id))
        .select((CaseEvent::as_select(), users::full_name.nullable()))
        .into_boxed();
    let query = if newest_first {
        query.order(case_events::id.desc())
    } else {
        query.order(case_events::id.asc())
    };
    query.limit(2000).load(conn)
}
