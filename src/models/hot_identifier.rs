//! `hot_identifiers` and `hot_list_runs`: the most reported identifiers of a
//! window, computed ahead by housekeeping, and when each window was computed.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Timestamptz};

use crate::db::schema::{hot_identifiers, hot_list_runs, identifiers};

/// One row of the hot list.
#[derive(Clone, Debug, Queryable)]
pub struct Hot {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub reports: i64,
    pub loss: i64,
    pub last_seen: Option<DateTime<Utc>>,
    /// How many units reported it (1 on a unit's own list).
    pub units: i32,
}

/// The national list's scope; a unit's list has the unit's id.
pub const NATIONAL: i32 = 0;

/// How many identifiers a window keeps (the page shows 50, the CSV all).
pub const HOT_KEEP: i64 = 1000;

/// Recomputes the hot list of a window: identifiers with at least two reports
/// received in the last `days` (victims' own numbers and spam excluded),
/// most reported first. One instance at a time (an advisory lock); returns
/// false when another is already at it.
pub fn refresh(conn: &mut PgConnection, scope: i32, days: i64) -> QueryResult<bool> {
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            ok: bool,
        }
        // One lock per (scope, window).
        let got: Locked =
            diesel::sql_query("SELECT pg_try_advisory_xact_lock(7242, ($1 * 1000 + $2)::int) AS ok")
                .bind::<Integer, _>(scope)
                .bind::<BigInt, _>(days)
                .get_result(conn)?;
        if !got.ok {
            return Ok(false);
        }
        let since = Utc::now() - Duration::days(days);
        diesel::delete(
            hot_identifiers::table
                .filter(hot_identifiers::unit_id.eq(scope))
                .filter(hot_identifiers::days.eq(days as i16)),
        )
        .execute(conn)?;
        // Work memory for the two aggregations, so they stay off disk.
        diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn)?;
        diesel::sql_query(format!(
                "INSERT INTO hot_identifiers (unit_id, days, rank, identifier_id, reports, loss, last_seen, units)
                 SELECT $4, $1::smallint, row_number() OVER (ORDER BY reports DESC, loss DESC, identifier_id),
                        identifier_id, reports, loss, last_seen, units
                 FROM ({}) h",
                ranked("$2", "now()", "$4", "$3", "")
        ))
        .bind::<BigInt, _>(days)
        .bind::<Timestamptz, _>(since)
        .bind::<BigInt, _>(HOT_KEEP)
        .bind::<Integer, _>(scope)
        .execute(conn)?;
        diesel::insert_into(hot_list_runs::table)
            .values((
                hot_list_runs::unit_id.eq(scope),
                hot_list_runs::days.eq(days as i16),
                hot_list_runs::computed_at.eq(Utc::now()),
            ))
            .on_conflict((hot_list_runs::unit_id, hot_list_runs::days))
            .do_update()
            .set(hot_list_runs::computed_at.eq(Utc::now()))
            .execute(conn)?;
        Ok(true)
    })
}

pub fn computed_at(
    conn: &mut PgConnection,
    scope: i32,
    days: i64,
) -> QueryResult<Option<DateTime<Utc>>> {
    hot_list_runs::table
        .find((scope, days as i16))
        .select(hot_list_runs::computed_at)
        .first(conn)
        .optional()
}

/// The ranking both the hot list and the statistics use: identifiers with at
/// least two reports received in `[since, until)` (SQL expressions), a merged
/// duplicate counted with its survivor, victims' own numbers and spam left
/// out, in `scope` (a unit, or 0 for every unit), most reported first;
/// `only` narrows the links further (SQL starting with AND, or empty).
fn ranked(since: &str, until: &str, scope: &str, limit: &str, only: &str) -> String {
    format!(
        "SELECT identifier_id, count(*)::bigint AS reports, COALESCE(sum(amount), 0)::bigint AS loss,
                max(reported_at) AS last_seen, count(DISTINCT unit_id)::int AS units
         FROM (SELECT l.identifier_id, COALESCE(l.merged_into, l.report_key) AS report, max(l.amount) AS amount,
                      max(l.reported_at) AS reported_at, min(l.unit_id) AS unit_id
               FROM identifier_links l
               WHERE l.reported_at >= {since} AND l.reported_at < {until} AND l.role <> 'victim'
                 AND ({scope} = 0 OR l.unit_id = {scope}) {only}
                 AND NOT EXISTS (SELECT 1 FROM submissions s
                                 WHERE s.id = l.submission_id AND l.case_id IS NULL AND s.status = 'spam')
               GROUP BY l.identifier_id, COALESCE(l.merged_into, l.report_key)) r
         GROUP BY identifier_id HAVING count(*) >= 2
         ORDER BY reports DESC, loss DESC, identifier_id LIMIT {limit}"
    )
}

/// The identifiers reported most in `[from, to)` in a unit (statistics).
///
/// Counting every link of a year took seconds at a million cases. An
/// identifier's reports in any period are at most its links in the unit
/// (`identifier_unit_links`, kept by trigger), so this counts exactly only
/// the identifiers with the most links, 5 then 50 times `limit` of them: the
/// ranking is settled when the last one kept has more reports than the most
/// links of any identifier not counted (a tie could go either way on loss).
/// When it is not settled, the whole period is counted.
pub fn top_between(
    conn: &mut PgConnection,
    unit_id: i32,
    period: (DateTime<Utc>, DateTime<Utc>),
    limit: i64,
) -> QueryResult<Vec<Hot>> {
    if limit < 1 {
        return Ok(Vec::new());
    }
    // The bounds are per unit; every unit's ranking is counted.
    if unit_id == NATIONAL {
        return ranked_between(conn, unit_id, period, limit, None);
    }
    for walk in [limit * 5, limit * 50] {
        let bounds = most_linked(conn, unit_id, walk + 1)?;
        let counted: Vec<i64> = bounds.iter().take(walk as usize).map(|b| b.0).collect();
        // The most reports any identifier not counted could have.
        let rest = bounds.get(walk as usize).map_or(0, |b| b.1);
        let rows = ranked_between(conn, unit_id, period, limit, Some(&counted))?;
        let settled = match rows.get(limit as usize - 1) {
            Some(last) => last.reports > rest,
            // Fewer than `limit`: nobody left out may have the two reports.
            None => rest < 2,
        };
        if settled {
            return Ok(rows);
        }
    }
    ranked_between(conn, unit_id, period, limit, None)
}

/// The same, counting every link of the period (what `top_between` must
/// always equal).
pub fn top_between_counted(
    conn: &mut PgConnection,
    unit_id: i32,
    period: (DateTime<Utc>, DateTime<Utc>),
    limit: i64,
) -> QueryResult<Vec<Hot>> {
    ranked_between(conn, unit_id, period, limit, None)
}

/// (identifier, its non-victim links in the unit) for the `n` with the most
/// links, at least two.
fn most_linked(conn: &mut PgConnection, unit_id: i32, n: i64) -> QueryResult<Vec<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        identifier_id: i64,
        #[diesel(sql_type = BigInt)]
        links: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT identifier_id, links FROM identifier_unit_links
         WHERE unit_id = $1 AND links >= 2 ORDER BY links DESC, identifier_id LIMIT $2",
    )
    .bind::<Integer, _>(unit_id)
    .bind::<BigInt, _>(n)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.identifier_id, r.links))
        .collect())
}

fn ranked_between(
    conn: &mut PgConnection,
    unit_id: i32,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    limit: i64,
    only: Option<&[i64]>,
) -> QueryResult<Vec<Hot>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
        #[diesel(sql_type = BigInt)]
        reports: i64,
        #[diesel(sql_type = BigInt)]
        loss: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<Timestamptz>)]
        last_seen: Option<DateTime<Utc>>,
        #[diesel(sql_type = Integer)]
        units: i32,
    }
    let sql = |only: &str| {
        format!(
            "SELECT i.id, i.kind, i.value, h.reports, h.loss, h.last_seen, h.units
             FROM ({}) h JOIN identifiers i ON i.id = h.identifier_id
             ORDER BY h.reports DESC, h.loss DESC, i.id",
            ranked("$1", "$2", "$3", "$4", only)
        )
    };
    let query = diesel::sql_query(sql(if only.is_some() {
        "AND l.identifier_id = ANY($5)"
    } else {
        ""
    }))
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Integer, _>(unit_id)
    .bind::<BigInt, _>(limit);
    let rows: Vec<Row> = match only {
        Some(ids) => query
            .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
            .load(conn)?,
        None => query.load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|r| Hot {
            id: r.id,
            kind: r.kind,
            value: r.value,
            reports: r.reports,
            loss: r.loss,
            last_seen: r.last_seen,
            units: r.units,
        })
        .collect())
}

/// The first `limit` rows of the `days` window, most reported first.
pub fn top(conn: &mut PgConnection, scope: i32, days: i64, limit: i64) -> QueryResult<Vec<Hot>> {
    hot_identifiers::table
        .inner_join(identifiers::table)
        .filter(hot_identifiers::unit_id.eq(scope))
        .filter(hot_identifiers::days.eq(days as i16))
        .order(hot_identifiers::rank)
        .limit(limit)
        .select((
            identifiers::id,
            identifiers::kind,
            identifiers::value,
            hot_identifiers::reports,
            hot_identifiers::loss,
            hot_identifiers::last_seen,
            hot_identifiers::units,
        ))
        .load(conn)
}
