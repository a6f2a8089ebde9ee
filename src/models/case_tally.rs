//! `case_tallies`: what every case adds to the figures, summed per unit, local
//! day and case type by a trigger (migration 000015, `case_tally_parts`). The
//! same sums are computed over chosen cases when the figures are an officer's or
//! carry a filter the tallies do not hold, so both paths share one definition.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, SmallInt, Text};

/// One summed tally: `bucket` is the index (from 1) of the range of `bounds`
/// the days fell in.
#[derive(QueryableByName, Clone, Debug, PartialEq, Eq)]
pub struct TallyRow {
    #[diesel(sql_type = Integer)]
    pub bucket: i32,
    #[diesel(sql_type = Text)]
    pub case_type: String,
    #[diesel(sql_type = Text)]
    pub measure: String,
    #[diesel(sql_type = Text)]
    pub dim: String,
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = SmallInt)]
    pub band: i16,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
}

/// Whose cases are summed.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// Every case of the unit (the trigger-kept table), optionally one type,
    /// in `scope`: "" for all, or "cat:ID", "chan:CODE", "team:NAME".
    Unit {
        unit_id: i32,
        case_type: Option<&'a str>,
        scope: &'a str,
    },
    /// These cases only (ids already checked against the user's visibility).
    Cases { unit_id: i32, ids: &'a [i64] },
}

const FROM_TALLIES: &str = "case_tallies t";
const FROM_CASES: &str = "(SELECT p.* FROM unnest($3::bigint[]) v(id) JOIN cases c ON c.id = v.id, LATERAL case_tally_parts(c) p) t";

fn source_sql(source: &Source) -> (&'static str, &'static str) {
    match source {
        Source::Unit { .. } => (
            FROM_TALLIES,
            "($3::text IS NULL OR t.case_type = $3) AND t.scope = $4",
        ),
        // Computed afresh: the unit's own parts only, not their copies per filter.
        Source::Cases { .. } => (FROM_CASES, "t.scope = $4"),
    }
}

/// The counts (received, decided, deadlines) and the duration bands, which
/// outnumber them and are read only for the period itself.
pub const COUNTS: &[&str] = &["received", "decided", "deadline", "money"];
pub const TIMES: &[&str] = &["time"];

/// Sums of `measures` per bucket of `bounds` (sorted dates; days outside them
/// are left out).
pub fn sums(
    conn: &mut PgConnection,
    source: Source,
    bounds: &[NaiveDate],
    measures: &[&str],
) -> QueryResult<Vec<TallyRow>> {
    if bounds.len() < 2 {
        return Ok(Vec::new());
    }
    let (from, extra) = source_sql(&source);
    let q = format!(
        "SELECT width_bucket(t.day, $2::date[])::int AS bucket, t.case_type, t.measure, t.dim, t.key, t.band, \
                sum(t.n)::bigint AS n, sum(t.amount)::bigint AS amount \
         FROM {from} \
         WHERE t.unit_id = $1 AND t.measure = ANY($5) \
           AND t.day >= ($2::date[])[1] AND t.day < ($2::date[])[array_length($2::date[], 1)] AND {extra} \
         GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(t.n) <> 0 OR sum(t.amount) <> 0"
    );
    bind_source(diesel::sql_query(q), source, bounds)
        .bind::<Array<Text>, _>(measures)
        .load(conn)
}

/// Cases open (received, not yet decided) at the start of each of `days`
/// (sorted, distinct), per type: one pass over the rows before the last day.
pub fn open_at(
    conn: &mut PgConnection,
    source: Source,
    days: &[NaiveDate],
) -> QueryResult<Vec<Vec<(String, i64)>>> {
    #[derive(QueryableByName)]
    struct Open {
        #[diesel(sql_type = Integer)]
        bucket: i32,
        #[diesel(sql_type = Text)]
        case_type: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    if days.is_empty() {
        return Ok(Vec::new());
    }
    let (from, extra) = source_sql(&source);
    let q = format!(
        "SELECT width_bucket(t.day, $2::date[])::int AS bucket, t.case_type, \
                (coalesce(sum(t.n) FILTER (WHERE t.measure = 'received'), 0) \
                - coalesce(sum(t.n) FILTER (WHERE t.measure = 'decided'), 0))::bigint AS n \
         FROM {from} \
         WHERE t.unit_id = $1 AND t.day < ($2::date[])[array_length($2::date[], 1)] \
           AND t.dim = 'all' AND t.measure IN ('received', 'decided') AND {extra} \
         GROUP BY 1, 2"
    );
    let rows: Vec<Open> = bind_source(diesel::sql_query(q), source, days).load(conn)?;
    // Bucket b holds the days before days[b]: open at days[k] sums buckets 0..=k.
    Ok((0..days.len())
        .map(|k| {
            let mut per: Vec<(String, i64)> = Vec::new();
            for r in rows
                .iter()
                .filter(|r| r.bucket >= 0 && r.bucket as usize <= k)
            {
                match per.iter_mut().find(|(t, _)| *t == r.case_type) {
                    Some(e) => e.1 += r.n,
                    None => per.push((r.case_type.clone(), r.n)),
                }
            }
            per
        })
        .collect())
}

fn bind_source<'a>(
    q: diesel::query_builder::SqlQuery,
    source: Source<'a>,
    bounds: &'a [NaiveDate],
) -> diesel::query_builder::BoxedSqlQuery<'a, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    let q = q.into_boxed::<diesel::pg::Pg>();
    match source {
        Source::Unit {
            unit_id,
            case_type,
            scope,
        } => q
            .bind::<Integer, _>(unit_id)
            .bind::<Array<Date>, _>(bounds)
            .bind::<Nullable<Text>, _>(case_type)
            .bind::<Text, _>(scope),
        Source::Cases { unit_id, ids } => q
            .bind::<Integer, _>(unit_id)
            .bind::<Array<Date>, _>(bounds)
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Text, _>(""),
    }
}

/// Every tally of a unit as the trigger kept it, and as computed afresh from
/// its cases: equal unless the trigger missed a change (tests and `stats check`).
pub fn drift(conn: &mut PgConnection, unit_id: i32) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let c: Count = diesel::sql_query(
        "WITH kept AS (SELECT scope, day, case_type, measure, dim, key, band, n, amount FROM case_tallies WHERE unit_id = $1 AND (n <> 0 OR amount <> 0)), \
              fresh AS (SELECT p.scope, p.day, p.case_type, p.measure, p.dim, p.key, p.band, sum(p.n)::bigint AS n, sum(p.amount)::bigint AS amount \
                        FROM cases c, LATERAL case_tally_parts(c) p WHERE c.unit_id = $1 GROUP BY 1, 2, 3, 4, 5, 6, 7) \
         SELECT count(*)::bigint AS n FROM ((TABLE kept EXCEPT TABLE fresh) UNION ALL (TABLE fresh EXCEPT TABLE kept)) d",
    )
    .bind::<Integer, _>(unit_id)
    .get_result(conn)?;
    Ok(c.n)
}
