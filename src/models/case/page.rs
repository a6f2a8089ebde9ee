//! The case page in one query: the case, its watchers and every part the page
//! shows, each part an array of rows (`ARRAY(SELECT ROW(…))`) read back into
//! the same structs the single-table queries return. A page took thirteen
//! round trips this way took one.

use std::sync::LazyLock;

use diesel::{
    deserialize::Queryable,
    pg::Pg,
    prelude::*,
    sql_types::{Array, BigInt, Bool, Integer, Nullable, Record, Text},
    Expression,
};

use super::{Case, Transaction};
use crate::db::fixed::fixed;
use crate::db::schema::{
    case_deadlines, case_events, case_recoveries, case_transactions, case_transfers, cases,
    data_requests, exhibits,
};
use crate::models::{
    case_event::CaseEvent,
    case_recovery::Recovery,
    case_transfer::Transfer,
    data_request::DataRequest,
    deadline::Clock,
    exhibit::Exhibit,
    identifier_link::{units_holding_sql, CaseLink},
};

/// The SQL type of `T`'s select clause, and the Rust row diesel reads it into.
type SqlRow<T> = <<T as Selectable<Pg>>::SelectExpression as Expression>::SqlType;
type RustRow<T> = <T as Queryable<SqlRow<T>, Pg>>::Row;

fn build<T>(row: RustRow<T>) -> QueryResult<T>
where
    T: Selectable<Pg> + Queryable<SqlRow<T>, Pg>,
{
    T::build(row).map_err(diesel::result::Error::DeserializationError)
}

fn build_all<T>(rows: Vec<RustRow<T>>) -> QueryResult<Vec<T>>
where
    T: Selectable<Pg> + Queryable<SqlRow<T>, Pg>,
{
    rows.into_iter().map(build).collect()
}

/// The column list diesel writes for `table.select(T::as_select())`, so each
/// `ROW(…)` has the struct's fields in the struct's order by construction.
macro_rules! columns {
    ($table:expr, $t:ty) => {{
        let q = diesel::debug_query::<Pg, _>(&$table.select(<$t>::as_select())).to_string();
        let start = q.find("SELECT ").map_or(0, |i| i + 7);
        let end = q.find(" FROM ").unwrap_or(q.len());
        q[start..end].to_owned()
    }};
}

static EVENT: LazyLock<String> = LazyLock::new(|| columns!(case_events::table, CaseEvent));
static CLOCK: LazyLock<String> = LazyLock::new(|| columns!(case_deadlines::table, Clock));
static EXHIBIT: LazyLock<String> = LazyLock::new(|| columns!(exhibits::table, Exhibit));
static TRANSACTION: LazyLock<String> =
    LazyLock::new(|| columns!(case_transactions::table, Transaction));
static RECOVERY: LazyLock<String> = LazyLock::new(|| columns!(case_recoveries::table, Recovery));
static TRANSFER: LazyLock<String> = LazyLock::new(|| columns!(case_transfers::table, Transfer));
static DATA_REQUEST: LazyLock<String> =
    LazyLock::new(|| columns!(data_requests::table, DataRequest));
/// Other cases are read under the alias `o` (the outer query is on `cases`).
static OTHER: LazyLock<String> =
    LazyLock::new(|| columns!(cases::table, Case).replace("\"cases\".", "o."));

fn events_sql(order: &str) -> String {
    format!(
        "ARRAY(SELECT ROW(ROW({}), u.full_name) FROM case_events LEFT JOIN users u ON u.id = case_events.actor_id \
         WHERE case_events.case_id = cases.id ORDER BY case_events.id {order} LIMIT 2000)",
        *EVENT
    )
}

fn part(cols: &str, table: &str, order: &str) -> String {
    format!(
        "ARRAY(SELECT ROW({cols}) FROM {table} WHERE {table}.case_id = cases.id ORDER BY {order})"
    )
}

// Each part's SQL, written once: a fixed text keeps the query prepared.
static EVENTS_OLDEST: LazyLock<String> = LazyLock::new(|| events_sql("ASC"));
static EVENTS_NEWEST: LazyLock<String> = LazyLock::new(|| events_sql("DESC"));
static CLOCKS: LazyLock<String> =
    LazyLock::new(|| part(&CLOCK, "case_deadlines", "case_deadlines.due_at"));
static EXHIBITS: LazyLock<String> = LazyLock::new(|| part(&EXHIBIT, "exhibits", "exhibits.id"));
static TRANSACTIONS: LazyLock<String> = LazyLock::new(|| {
    part(
        &TRANSACTION,
        "case_transactions",
        "case_transactions.position",
    )
});
static RECOVERIES: LazyLock<String> = LazyLock::new(|| {
    part(
        &RECOVERY,
        "case_recoveries",
        "case_recoveries.on_date, case_recoveries.id",
    )
});
/// Reporters' requests about their data, through the reports that became the case.
static DATA_REQUESTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "ARRAY(SELECT ROW({}) FROM data_requests JOIN submissions s ON s.id = data_requests.submission_id \
         WHERE s.case_id = cases.id ORDER BY data_requests.created_at)",
        *DATA_REQUEST
    )
});
static TRANSFERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "ARRAY(SELECT ROW({}) FROM case_transfers WHERE case_transfers.case_id = cases.id \
         AND case_transfers.state = 'pending' LIMIT 1)",
        *TRANSFER
    )
});
/// The other units holding the case's identifiers (`units_holding_sql`).
static ELSEWHERE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "ARRAY(SELECT ROW(x.identifier_id, x.unit_id) FROM ({}",
        units_holding_sql(
            "ARRAY(SELECT DISTINCT l.identifier_id FROM identifier_links l WHERE l.case_id = cases.id)"
        )
    )
});
static OTHERS_HEAD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "ARRAY(SELECT ROW(ROW({}), EXISTS(SELECT 1 FROM case_watchers w WHERE w.case_id = o.id AND w.user_id = ",
        *OTHER
    )
});

type LinkSql = (
    BigInt,
    BigInt,
    Text,
    Text,
    Text,
    Text,
    BigInt,
    Bool,
    Nullable<BigInt>,
);

/// Another case the page names (linked, merged into, or in a link or merge
/// entry), with whether the reader watches it: enough for the visibility rule.
pub struct Other {
    pub case: Case,
    pub watching: bool,
}

/// Everything the case page reads from the database.
pub struct Page {
    pub case: Case,
    pub watchers: Vec<i64>,
    /// With each author's name.
    pub events: Vec<(CaseEvent, Option<String>)>,
    pub clocks: Vec<Clock>,
    pub exhibits: Vec<Exhibit>,
    pub transactions: Vec<Transaction>,
    pub recoveries: Vec<Recovery>,
    pub data_requests: Vec<DataRequest>,
    pub pending_transfer: Option<Transfer>,
    pub links: Vec<CaseLink>,
    /// (identifier id, unit id) of the other units holding one of the links'
    /// identifiers.
    pub elsewhere: Vec<(i64, i32)>,
    /// The ids of the linked cases, newest received first.
    pub linked: Vec<i64>,
    pub others: Vec<Other>,
}

/// The page of the case `reference` as `reader` would see it, or `NotFound`.
pub fn load(
    conn: &mut PgConnection,
    reference: &str,
    (reader, reader_unit): (i64, i32),
    newest_first: bool,
) -> QueryResult<Page> {
    let events =
        fixed::<Array<Record<(Record<SqlRow<CaseEvent>>, Nullable<Text>)>>>(if newest_first {
            &EVENTS_NEWEST
        } else {
            &EVENTS_OLDEST
        });
    let clocks = fixed::<Array<Record<SqlRow<Clock>>>>(&CLOCKS);
    let exhibits = fixed::<Array<Record<SqlRow<Exhibit>>>>(&EXHIBITS);
    let transactions = fixed::<Array<Record<SqlRow<Transaction>>>>(&TRANSACTIONS);
    let recoveries = fixed::<Array<Record<SqlRow<Recovery>>>>(&RECOVERIES);
    let data_requests = fixed::<Array<Record<SqlRow<DataRequest>>>>(&DATA_REQUESTS);
    let transfer = fixed::<Array<Record<SqlRow<Transfer>>>>(&TRANSFERS);
    let links = fixed::<Array<Record<LinkSql>>>(
        "ARRAY(SELECT ROW(l.id, i.id, i.kind, i.value, l.role, l.source, l.amount, l.from_form, l.submission_id) \
         FROM identifier_links l JOIN identifiers i ON i.id = l.identifier_id \
         WHERE l.case_id = cases.id ORDER BY i.kind, i.value, l.id)",
    );
    let elsewhere = fixed::<Array<Record<(BigInt, Integer)>>>(&ELSEWHERE)
        .bind::<Integer, _>(reader_unit, ") x)");
    let linked = fixed::<Array<BigInt>>(
        "ARRAY(SELECT o.id FROM case_links k JOIN cases o ON o.id = k.other_id \
         WHERE k.case_id = cases.id ORDER BY o.received_at DESC)",
    );
    // Linked cases, the case merged into, and the cases link and merge entries
    // name: the reader sees their references only where the rule allows.
    // `= ANY(ARRAY(…))`, not `IN`/`OR`: the ids are found first and then read
    // by primary key (an `OR` of those conditions read all of `cases`).
    let others = fixed::<Array<Record<(Record<SqlRow<Case>>, Bool)>>>(&OTHERS_HEAD).bind::<BigInt, _>(
        reader,
        ")) FROM cases o WHERE o.id = ANY(ARRAY( \
           SELECT cases.merged_into_id WHERE cases.merged_into_id IS NOT NULL \
           UNION SELECT k.other_id FROM case_links k WHERE k.case_id = cases.id \
           UNION SELECT r.id FROM case_events e, LATERAL (VALUES (e.old_value), (e.new_value)) x(v) \
                 JOIN cases r ON r.ref = x.v \
                 WHERE e.case_id = cases.id AND e.kind IN ('link', 'merge'))))",
    );
    let watchers = fixed::<Array<BigInt>>(
        "ARRAY(SELECT w.user_id FROM case_watchers w WHERE w.case_id = cases.id)",
    );
    type Row<T> = Vec<RustRow<T>>;
    #[allow(clippy::type_complexity)]
    let (
        case,
        watchers,
        events,
        clocks,
        exhibits,
        transactions,
        recoveries,
        data_requests,
        transfer,
        links,
        elsewhere,
        linked,
        others,
    ): (
        Case,
        Vec<i64>,
        Vec<(RustRow<CaseEvent>, Option<String>)>,
        Row<Clock>,
        Row<Exhibit>,
        Row<Transaction>,
        Row<Recovery>,
        Row<DataRequest>,
        Row<Transfer>,
        Vec<CaseLink>,
        Vec<(i64, i32)>,
        Vec<i64>,
        Vec<(RustRow<Case>, bool)>,
    ) = cases::table
        .filter(cases::ref_.eq(reference))
        .select((
            Case::as_select(),
            watchers,
            events,
            clocks,
            exhibits,
            transactions,
            recoveries,
            data_requests,
            transfer,
            links,
            elsewhere,
            linked,
            others,
        ))
        .first(conn)?;
    Ok(Page {
        case,
        watchers,
        events: events
            .into_iter()
            .map(|(e, name)| build::<CaseEvent>(e).map(|e| (e, name)))
            .collect::<QueryResult<_>>()?,
        clocks: build_all(clocks)?,
        exhibits: build_all(exhibits)?,
        transactions: build_all(transactions)?,
        recoveries: build_all(recoveries)?,
        data_requests: build_all(data_requests)?,
        pending_transfer: build_all(transfer)?.into_iter().next(),
        links,
        elsewhere,
        linked,
        others: others
            .into_iter()
            .map(|(c, watching)| build::<Case>(c).map(|case| Other { case, watching }))
            .collect::<QueryResult<_>>()?,
    })
}
