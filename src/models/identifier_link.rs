//! `identifier_links`: one link per identifier and report (a case, or a
//! submission until it is triaged), with the role, source and amount; and the
//! correlation queries over them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::schema::{identifier_links, identifiers, submissions};
use crate::models::identifier::IdKind;
use crate::models::submission::SubmissionStatus;

/// The report an identifier is linked to: a case, or a submission (which takes
/// its case's id when triaged, so the report counts once).
#[derive(Clone, Debug)]
pub struct Report {
    pub submission_id: Option<i64>,
    pub case_id: Option<i64>,
    pub reported_at: DateTime<Utc>,
    pub reporter_key: Option<String>,
    /// The unit of the case or report.
    pub unit_id: i32,
}

/// One identifier to link.
#[derive(Clone, Debug)]
pub struct NewLink<'a> {
    pub kind: IdKind,
    pub value: &'a str,
    pub role: &'a str,
    pub source: &'a str,
    pub amount: i64,
    pub from_form: bool,
    pub added_by: Option<i64>,
}

pub const ROLES: &[&str] = &["suspect", "victim", "infrastructure"];

/// One link row as written, by `link` and `link_many` alike.
#[derive(Insertable)]
#[diesel(table_name = identifier_links)]
struct NewLinkRow<'a> {
    identifier_id: i64,
    submission_id: Option<i64>,
    case_id: Option<i64>,
    role: &'a str,
    source: &'a str,
    reported_at: DateTime<Utc>,
    unit_id: i32,
    amount: i64,
    reporter_key: Option<&'a str>,
    from_form: bool,
    added_by: Option<i64>,
}

impl<'a> NewLinkRow<'a> {
    fn new(identifier_id: i64, r: &'a Report, l: &NewLink<'a>) -> NewLinkRow<'a> {
        NewLinkRow {
            identifier_id,
            submission_id: r.submission_id,
            case_id: r.case_id,
            role: l.role,
            source: l.source,
            reported_at: r.reported_at,
            unit_id: r.unit_id,
            amount: l.amount.max(0),
            reporter_key: r.reporter_key.as_deref(),
            from_form: l.from_form,
            added_by: l.added_by,
        }
    }
}

/// Finds or creates the identifier and links it to the report, once per report
/// (whoever entered it first keeps the link; a larger amount is kept).
/// Returns the identifier's id and whether a new link was written.
pub fn link(conn: &mut PgConnection, r: &Report, l: &NewLink) -> QueryResult<(i64, bool)> {
    let id = super::identifier::find_or_create(conn, l.kind, l.value)?;
    let existing = identifier_links::table
        .filter(identifier_links::identifier_id.eq(id))
        .into_boxed();
    let existing = match (r.submission_id, r.case_id) {
        (Some(s), _) => existing.filter(identifier_links::submission_id.eq(s)),
        // Any link of the case counts, a triaged submission's included.
        (None, Some(c)) => existing.filter(identifier_links::case_id.eq(c)),
        (None, None) => return Ok((id, false)),
    };
    let found: Option<(i64, i64)> = existing
        .select((identifier_links::id, identifier_links::amount))
        .first(conn)
        .optional()?;
    if let Some((link_id, amount)) = found {
        if l.amount > amount {
            diesel::update(identifier_links::table.find(link_id))
                .set(identifier_links::amount.eq(l.amount))
                .execute(conn)?;
        }
        return Ok((id, false));
    }
    diesel::insert_into(identifier_links::table)
        .values(NewLinkRow::new(id, r, l))
        .execute(conn)?;
    Ok((id, true))
}

/// Links many identifiers to many cases in three statements (the import's
/// batches): the identifiers found or created, then the links, each once per
/// case (a second link of the same identifier to a case keeps the first).
pub fn link_many(conn: &mut PgConnection, links: &[(Report, NewLink<'_>)]) -> QueryResult<usize> {
    if links.is_empty() {
        return Ok(0);
    }
    let mut pairs: Vec<(&str, &str)> = links
        .iter()
        .map(|(_, l)| (l.kind.code(), l.value))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let new: Vec<_> = pairs
        .iter()
        .map(|(k, v)| (identifiers::kind.eq(*k), identifiers::value.eq(*v)))
        .collect();
    diesel::insert_into(identifiers::table)
        .values(new)
        .on_conflict((identifiers::kind, identifiers::value))
        .do_nothing()
        .execute(conn)?;
    // By kind and value, so the (kind, value) index answers; the cross
    // product of the two lists is a superset, matched exactly below.
    let mut kinds: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    kinds.dedup();
    let values: Vec<&str> = pairs.iter().map(|(_, v)| *v).collect();
    let ids: std::collections::HashMap<(String, String), i64> = identifiers::table
        .filter(identifiers::kind.eq_any(kinds))
        .filter(identifiers::value.eq_any(values))
        .select((identifiers::kind, identifiers::value, identifiers::id))
        .load::<(String, String, i64)>(conn)?
        .into_iter()
        .map(|(k, v, id)| ((k, v), id))
        .collect();
    let rows: Vec<_> = links
        .iter()
        .filter_map(|(r, l)| {
            let id = *ids.get(&(l.kind.code().to_owned(), l.value.to_owned()))?;
            Some(NewLinkRow::new(id, r, l))
        })
        .collect();
    diesel::insert_into(identifier_links::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
}

/// A submission triaged into a case: its links become the case's.
pub fn move_to_case(
    conn: &mut PgConnection,
    submission_id: i64,
    case_id: i64,
) -> QueryResult<usize> {
    diesel::update(
        identifier_links::table.filter(identifier_links::submission_id.eq(submission_id)),
    )
    .set(identifier_links::case_id.eq(case_id))
    .execute(conn)
}

/// One hit: an identifier this submission shares with another submission or case.
#[derive(Clone, Debug, Queryable)]
pub struct Hit {
    pub kind: String,
    pub value: String,
    pub other_submission: Option<i64>,
    pub other_case: Option<i64>,
}

/// Other submissions and cases sharing an identifier with `submission_id`.
pub fn hits_for_submission(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<Hit>> {
    let (mine, theirs) = diesel::alias!(identifier_links as mine, identifier_links as theirs);
    mine.inner_join(
        identifiers::table.on(identifiers::id.eq(mine.field(identifier_links::identifier_id))),
    )
    .inner_join(
        theirs.on(theirs
            .field(identifier_links::identifier_id)
            .eq(mine.field(identifier_links::identifier_id))),
    )
    .filter(
        mine.field(identifier_links::submission_id)
            .eq(submission_id),
    )
    .filter(
        theirs
            .field(identifier_links::submission_id)
            .ne(submission_id)
            .or(theirs.field(identifier_links::submission_id).is_null()),
    )
    // Within the unit; other units are named, never shown (`other_units`).
    .filter(
        theirs
            .field(identifier_links::unit_id)
            .eq(mine.field(identifier_links::unit_id)),
    )
    .select((
        identifiers::kind,
        identifiers::value,
        theirs.field(identifier_links::submission_id),
        theirs.field(identifier_links::case_id),
        theirs.field(identifier_links::merged_into),
    ))
    .distinct()
    .limit(200)
    .load::<(String, String, Option<i64>, Option<i64>, Option<i64>)>(conn)
    .map(|rows| {
        // A merged duplicate is its survivor: one hit for the pair.
        let mut out: Vec<Hit> = Vec::new();
        for (kind, value, other_submission, case, merged) in rows {
            let hit = Hit {
                kind,
                value,
                other_submission,
                other_case: merged.or(case),
            };
            if !out.iter().any(|h| {
                h.kind == hit.kind
                    && h.value == hit.value
                    && h.other_submission == hit.other_submission
                    && h.other_case == hit.other_case
            }) {
                out.push(hit);
            }
        }
        out
    })
}

#[derive(QueryableByName)]
pub struct CountRow {
    #[diesel(sql_type = BigInt)]
    pub identifier_id: i64,
    #[diesel(sql_type = BigInt)]
    pub cases: i64,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
}

pub type LinkRow = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    DateTime<Utc>,
    String,
);

/// Removes a link added by hand or by confirmation (never a reporter's or the
/// form's); returns the identifier, or None when there was no such link.
pub fn remove_from_case(
    conn: &mut PgConnection,
    case_id: i64,
    link_id: i64,
) -> QueryResult<Option<(IdKind, String)>> {
    let found: Option<(IdKind, String)> = identifier_links::table
        .inner_join(identifiers::table)
        .filter(identifier_links::id.eq(link_id))
        .filter(identifier_links::case_id.eq(case_id))
        .filter(identifier_links::submission_id.is_null())
        .filter(identifier_links::from_form.eq(false))
        .filter(identifier_links::source.ne("reporter"))
        .select((identifiers::kind, identifiers::value))
        .first(conn)
        .optional()?;
    if found.is_some() {
        diesel::delete(identifier_links::table.find(link_id)).execute(conn)?;
    }
    Ok(found)
}

/// Deletes the links a case's form made (re-made on each save), leaving
/// links added one by one and those from reporters.
pub fn delete_form_links(conn: &mut PgConnection, case_id: i64) -> QueryResult<usize> {
    diesel::delete(
        identifier_links::table
            .filter(identifier_links::case_id.eq(case_id))
            .filter(identifier_links::submission_id.is_null())
            .filter(identifier_links::from_form.eq(true)),
    )
    .execute(conn)
}

/// A link of a case with its identifier: (link id, identifier id, kind, value,
/// role, source, amount, from form, submission id).
pub type CaseLink = (
    i64,
    i64,
    IdKind,
    String,
    String,
    String,
    i64,
    bool,
    Option<i64>,
);

/// The links of a case, by kind and value.
pub fn of_case(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<CaseLink>> {
    identifier_links::table
        .inner_join(identifiers::table)
        .filter(identifier_links::case_id.eq(case_id))
        .order((identifiers::kind, identifiers::value, identifier_links::id))
        .select((
            identifier_links::id,
            identifiers::id,
            identifiers::kind,
            identifiers::value,
            identifier_links::role,
            identifier_links::source,
            identifier_links::amount,
            identifier_links::from_form,
            identifier_links::submission_id,
        ))
        .load(conn)
}

/// (kind, value) of the identifiers linked to a submission.
pub fn of_submission(
    conn: &mut PgConnection,
    submission_id: i64,
) -> QueryResult<Vec<(String, String)>> {
    identifier_links::table
        .inner_join(identifiers::table)
        .filter(identifier_links::submission_id.eq(submission_id))
        .select((identifiers::kind, identifiers::value))
        .load(conn)
}

/// For each of `ids`: the distinct cases of `unit_id` it is linked to, and the
/// unit's submissions still in intake (spam left out). One grouped query.
pub fn counts(conn: &mut PgConnection, ids: &[i64], unit_id: i32) -> QueryResult<Vec<CountRow>> {
    diesel::sql_query(
        "SELECT o.identifier_id, count(DISTINCT COALESCE(o.merged_into, o.case_id)) AS cases,
                count(DISTINCT o.submission_id) FILTER (
                    WHERE o.case_id IS NULL
                      AND NOT EXISTS (SELECT 1 FROM submissions s
                                      WHERE s.id = o.submission_id AND s.status = 'spam')) AS pending
         FROM identifier_links o WHERE o.identifier_id = ANY($1) AND o.unit_id = $2
         GROUP BY o.identifier_id",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
    .bind::<diesel::sql_types::Integer, _>(unit_id)
    .load(conn)
}

/// SQL of (identifier id, unit id) for each identifier of `ids_sql` (an SQL
/// array expression) and each unit holding it, ending in `unit_id <> ` for the
/// reader's unit (bound by the caller). Units are found by skipping from one
/// to the next in the (identifier, unit) index: as many probes as units, not
/// a read of every link (an account in 5,000 cases read 5,000 rows).
pub fn units_holding_sql(ids_sql: &str) -> String {
    format!(
        "SELECT i.id AS identifier_id, u.unit_id \
         FROM unnest({ids_sql}) AS i(id) \
         CROSS JOIN LATERAL (WITH RECURSIVE s(unit_id) AS ( \
             SELECT min(o.unit_id) FROM identifier_links o WHERE o.identifier_id = i.id \
             UNION ALL \
             SELECT (SELECT min(o.unit_id) FROM identifier_links o WHERE o.identifier_id = i.id AND o.unit_id > s.unit_id) \
             FROM s WHERE s.unit_id IS NOT NULL) \
           SELECT unit_id FROM s WHERE unit_id IS NOT NULL) u \
         WHERE u.unit_id <> "
    )
}

/// Distinct (identifier id, unit id) of the units other than `unit_id` whose
/// cases or reports hold one of `ids` (what another unit may know, never what
/// it holds).
pub fn other_units(
    conn: &mut PgConnection,
    ids: &[i64],
    unit_id: i32,
) -> QueryResult<Vec<(i64, i32)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        identifier_id: i64,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        unit_id: i32,
    }
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        units_holding_sql("ARRAY(SELECT DISTINCT unnest($1::bigint[]))") + "$2"
    });
    let rows: Vec<Row> = diesel::sql_query(SQL.as_str())
        .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
        .bind::<diesel::sql_types::Integer, _>(unit_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.identifier_id, r.unit_id))
        .collect())
}

/// Distinct (identifier id, case id) of the cases other than `except` that
/// the identifiers `ids` are linked to, a merged duplicate as its survivor.
pub fn case_pairs(
    conn: &mut PgConnection,
    ids: &[i64],
    except: i64,
) -> QueryResult<Vec<(i64, i64)>> {
    let counted = || {
        diesel::dsl::sql::<BigInt>(
            "COALESCE(identifier_links.merged_into, identifier_links.case_id)",
        )
    };
    identifier_links::table
        .filter(identifier_links::identifier_id.eq_any(ids))
        .filter(identifier_links::case_id.is_not_null())
        .filter(counted().ne(except))
        .select((identifier_links::identifier_id, counted()))
        .distinct()
        .load(conn)
}

/// Counts the links of case `dup` (and of cases merged into it before) as
/// `survivor`'s from now on.
pub fn merge_into(conn: &mut PgConnection, dup: i64, survivor: i64) -> QueryResult<usize> {
    diesel::update(
        identifier_links::table.filter(
            identifier_links::case_id
                .eq(dup)
                .or(identifier_links::merged_into.eq(dup)),
        ),
    )
    .set(identifier_links::merged_into.eq(survivor))
    .execute(conn)
}

type LinkCols = (
    diesel::expression::SqlLiteral<diesel::sql_types::Nullable<BigInt>>,
    identifier_links::case_id,
    identifier_links::submission_id,
    identifier_links::reporter_key,
    identifier_links::amount,
    identifier_links::reported_at,
    identifier_links::role,
);

/// The report a link counts as (a merged duplicate as its survivor), then its parts.
fn link_cols() -> LinkCols {
    (
        diesel::dsl::sql::<diesel::sql_types::Nullable<BigInt>>(
            "COALESCE(identifier_links.merged_into, identifier_links.report_key)",
        ),
        identifier_links::case_id,
        identifier_links::submission_id,
        identifier_links::reporter_key,
        identifier_links::amount,
        identifier_links::reported_at,
        identifier_links::role,
    )
}

/// The case links of identifier `id`, as report rows.
pub fn reports_of(conn: &mut PgConnection, id: i64, unit_id: i32) -> QueryResult<Vec<LinkRow>> {
    identifier_links::table
        .filter(identifier_links::identifier_id.eq(id))
        .filter(identifier_links::unit_id.eq(unit_id))
        .filter(identifier_links::case_id.is_not_null())
        .select(link_cols())
        .load(conn)
}

/// The links of identifier `id` to a unit's submissions still in intake (not spam).
pub fn pending_reports_of(
    conn: &mut PgConnection,
    id: i64,
    unit_id: i32,
) -> QueryResult<Vec<LinkRow>> {
    identifier_links::table
        .filter(identifier_links::identifier_id.eq(id))
        .filter(identifier_links::unit_id.eq(unit_id))
        .filter(identifier_links::case_id.is_null())
        .filter(
            identifier_links::submission_id.assume_not_null().eq_any(
                submissions::table
                    .filter(submissions::case_id.is_null())
                    .filter(submissions::status.ne(SubmissionStatus::Spam))
                    .select(submissions::id),
            ),
        )
        .select(link_cols())
        .load(conn)
}

/// (kind, value, other unit) for each identifier of submission `id` that
/// units other than its own also hold.
pub fn other_units_of_submission(
    conn: &mut PgConnection,
    id: i64,
    unit_id: i32,
) -> QueryResult<Vec<(String, String, i32)>> {
    let (mine, theirs) = diesel::alias!(identifier_links as mine, identifier_links as theirs);
    mine.inner_join(
        identifiers::table.on(identifiers::id.eq(mine.field(identifier_links::identifier_id))),
    )
    .inner_join(
        theirs.on(theirs
            .field(identifier_links::identifier_id)
            .eq(mine.field(identifier_links::identifier_id))),
    )
    .filter(mine.field(identifier_links::submission_id).eq(id))
    .filter(theirs.field(identifier_links::unit_id).ne(unit_id))
    .select((
        identifiers::kind,
        identifiers::value,
        theirs.field(identifier_links::unit_id),
    ))
    .distinct()
    .limit(200)
    .load(conn)
}

/// One asked value of a look-up: its place in the request, its kind and
/// normalised value, and for an account asked without its bank the bare
/// number (matched at any bank).
pub struct LookupAsk<'a> {
    pub ord: i32,
    pub kind: &'a str,
    pub value: &'a str,
    pub bare: &'a str,
}

/// The counts of one asked value (`ord`): reports, distinct cases, first and
/// last report, reported loss (each report's largest amount once).
#[derive(Clone, Debug)]
pub struct LookupRow {
    pub ord: i32,
    pub reports: i64,
    pub cases: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub loss: i64,
}

/// Counts of at least this many reports are kept (`identifier_lookups`):
/// fewer cost less to count than to keep.
pub const KEEP_FROM: i64 = 20;

/// Counts for the bank check (`docs/domain.md` §15), counted as the hot list
/// counts (a merged duplicate with its survivor, victims' own numbers and
/// spam left out) over `scope` (a unit, or 0 for every unit); values never
/// reported have no row. One statement for the whole batch, the
/// `identifier_lookup` function of migration 000031 (planned once per
/// connection): a value that is one identifier reads its kept counts while
/// they are of its current generation, and heavy ones counted afresh are
/// kept for the next look-up.
pub fn lookup(
    conn: &mut PgConnection,
    asks: &[LookupAsk<'_>],
    scope: i32,
) -> QueryResult<Vec<LookupRow>> {
    lookup_rows(conn, asks, scope, true)
}

/// The same counted afresh from the links, keeping nothing (what the kept
/// counts are checked against).
pub fn lookup_fresh(
    conn: &mut PgConnection,
    asks: &[LookupAsk<'_>],
    scope: i32,
) -> QueryResult<Vec<LookupRow>> {
    lookup_rows(conn, asks, scope, false)
}

fn lookup_rows(
    conn: &mut PgConnection,
    asks: &[LookupAsk<'_>],
    scope: i32,
    kept: bool,
) -> QueryResult<Vec<LookupRow>> {
    use diesel::sql_types::{Array, Bool, Integer, Text, Timestamptz};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        ord: i32,
        #[diesel(sql_type = BigInt)]
        reports: i64,
        #[diesel(sql_type = BigInt)]
        cases: i64,
        #[diesel(sql_type = Timestamptz)]
        first_seen: DateTime<Utc>,
        #[diesel(sql_type = Timestamptz)]
        last_seen: DateTime<Utc>,
        #[diesel(sql_type = BigInt)]
        loss: i64,
    }
    if asks.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT ord, reports, cases, first_seen, last_seen, loss
         FROM identifier_lookup($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<Array<Integer>, _>(asks.iter().map(|a| a.ord).collect::<Vec<i32>>())
    .bind::<Array<Text>, _>(asks.iter().map(|a| a.kind).collect::<Vec<&str>>())
    .bind::<Array<Text>, _>(asks.iter().map(|a| a.value).collect::<Vec<&str>>())
    .bind::<Array<Text>, _>(asks.iter().map(|a| a.bare).collect::<Vec<&str>>())
    .bind::<Integer, _>(scope)
    .bind::<Bool, _>(kept)
    .bind::<BigInt, _>(KEEP_FROM)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| LookupRow {
            ord: r.ord,
            reports: r.reports,
            cases: r.cases,
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            loss: r.loss,
        })
        .collect())
}

/// Which of these identifiers are some report's victim's own (a reporter's
/// phone or account).
pub fn with_victim_links(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    identifier_links::table
        .filter(identifier_links::identifier_id.eq_any(ids))
        .filter(identifier_links::role.eq("victim"))
        .select(identifier_links::identifier_id)
        .distinct()
        .load(conn)
}
