//! `submissions`, `submission_files`, `submission_messages`: what the public sent.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{submission_files, submission_messages, submissions};

crate::text_enum!(
    SubmissionKind, "submission-kind" {
        Crime => "crime",
        Incident => "incident",
        Breach => "breach",
    }
);

pub use crate::domain::submission::SubmissionStatus;
crate::sql_text!(SubmissionStatus);

crate::text_enum!(
    MessageKind, "submission-message" {
        Message => "message",
        InfoRequest => "info_request",
        Addition => "addition",
    }
);

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = submissions, check_for_backend(Pg))]
pub struct Submission {
    pub id: i64,
    pub tracking_code: String,
    pub kind: SubmissionKind,
    pub lang: String,
    pub received_at: DateTime<Utc>,
    pub anonymous: bool,
    pub confidential: bool,
    pub reporter_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub secret_hash: Option<Vec<u8>>,
    pub category_id: Option<i32>,
    pub summary: String,
    pub narrative: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub total_loss: i64,
    pub payload: serde_json::Value,
    pub ip: Option<String>,
    pub status: SubmissionStatus,
    pub case_id: Option<i64>,
    pub triaged_by: Option<i64>,
    pub triaged_at: Option<DateTime<Utc>>,
    pub spam_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The draft key of the form it was sent from (one report per send).
    pub send_key: Option<String>,
    /// The unit whose intake it is in.
    pub unit_id: i32,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = submissions)]
pub struct NewSubmission {
    pub tracking_code: String,
    pub kind: SubmissionKind,
    pub lang: String,
    pub received_at: DateTime<Utc>,
    pub anonymous: bool,
    pub confidential: bool,
    pub reporter_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub secret_hash: Option<Vec<u8>>,
    pub category_id: Option<i32>,
    pub summary: String,
    pub narrative: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub total_loss: i64,
    pub payload: serde_json::Value,
    pub ip: Option<String>,
    /// The draft key of the form it was sent from (one report per send).
    pub send_key: Option<String>,
    pub unit_id: i32,
}

pub fn insert(conn: &mut PgConnection, new: &NewSubmission) -> QueryResult<Submission> {
    diesel::insert_into(submissions::table)
        .values(new)
        .returning(Submission::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Submission> {
    submissions::table
        .find(id)
        .select(Submission::as_select())
        .first(conn)
}

pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<Submission> {
    submissions::table
        .find(id)
        .select(Submission::as_select())
        .for_update()
        .first(conn)
}

/// The report sent from the form with draft key `key`, if it was received.
pub fn find_by_send_key(conn: &mut PgConnection, key: &str) -> QueryResult<Option<Submission>> {
    submissions::table
        .filter(submissions::send_key.eq(key))
        .select(Submission::as_select())
        .first(conn)
        .optional()
}

/// Serialises the sends of one form (same draft key) until the transaction ends,
/// so a double tap cannot make two reports.
pub fn lock_send(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind::<diesel::sql_types::Text, _>(format!("send:{key}"))
        .execute(conn)?;
    Ok(())
}

pub fn find_by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Submission>> {
    submissions::table
        .filter(submissions::tracking_code.eq(code))
        .select(Submission::as_select())
        .first(conn)
        .optional()
}

/// Submissions linked to a case (to tell their reporters about it).
pub fn for_case(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<Submission>> {
    submissions::table
        .filter(submissions::case_id.eq(case_id))
        .select(Submission::as_select())
        .load(conn)
}

/// Sets the triage state (the only columns that may change).
pub fn set_triage(
    conn: &mut PgConnection,
    id: i64,
    status: SubmissionStatus,
    case_id: Option<i64>,
    by: Option<i64>,
    spam_reason: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(submissions::table.find(id))
        .set((
            submissions::status.eq(status),
            submissions::case_id.eq(case_id),
            submissions::triaged_by.eq(by),
            submissions::triaged_at.eq(by.map(|_| now)),
            submissions::spam_reason.eq(spam_reason),
            submissions::updated_at.eq(now),
        ))
        .execute(conn)
}

/// One page of the intake queue, oldest first (keyset on received time, id).
pub fn queue(
    conn: &mut PgConnection,
    unit_id: i32,
    statuses: &[SubmissionStatus],
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> QueryResult<Vec<Submission>> {
    let mut q = submissions::table
        .filter(submissions::unit_id.eq(unit_id))
        .filter(submissions::status.eq_any(statuses.to_vec()))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            submissions::received_at
                .gt(at)
                .or(submissions::received_at.eq(at).and(submissions::id.gt(id))),
        );
    }
    q.order((submissions::received_at.asc(), submissions::id.asc()))
        .limit(limit)
        .select(Submission::as_select())
        .load(conn)
}

/// What a search of reports matches on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindBy {
    /// Every report (filters only).
    All,
    /// A tracking code, normalised (`domain::code::normalise_code`).
    Code(String),
    /// A contact phone in E.164.
    Phone(String),
    /// A contact e-mail, any case.
    Email(String),
    /// Part of the reporter's name, with or without diacritics.
    Name(String),
}

/// A search of reports: what to match, and the filters.
#[derive(Clone, Debug)]
pub struct FindFilter {
    /// The unit whose intake is searched.
    pub unit_id: i32,
    pub by: FindBy,
    pub statuses: Vec<SubmissionStatus>,
    pub kind: Option<SubmissionKind>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Keyset: only reports received before this one (newest first).
    pub before: Option<(DateTime<Utc>, i64)>,
}

/// Reports matching `f`, newest first, at most `limit`.
pub fn find_reports(
    conn: &mut PgConnection,
    f: &FindFilter,
    limit: i64,
) -> QueryResult<Vec<Submission>> {
    let mut q = matching(f);
    if let Some((at, id)) = f.before {
        q = q.filter(
            submissions::received_at
                .lt(at)
                .or(submissions::received_at.eq(at).and(submissions::id.lt(id))),
        );
    }
    q.order((submissions::received_at.desc(), submissions::id.desc()))
        .limit(limit)
        .select(Submission::as_select())
        .load(conn)
}

/// How many reports match `f` in all (its cursor aside).
pub fn count_reports(conn: &mut PgConnection, f: &FindFilter) -> QueryResult<i64> {
    matching(f).count().get_result(conn)
}

fn matching(f: &FindFilter) -> submissions::BoxedQuery<'static, Pg> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let mut q = submissions::table
        .filter(submissions::unit_id.eq(f.unit_id))
        .filter(submissions::status.eq_any(f.statuses.clone()))
        .into_boxed();
    q = match &f.by {
        FindBy::All => q,
        FindBy::Code(code) => q.filter(submissions::tracking_code.eq(code.clone())),
        FindBy::Phone(phone) => q.filter(submissions::contact_phone.eq(phone.clone())),
        FindBy::Email(email) => q.filter(
            sql::<Bool>("lower(submissions.contact_email) = lower(")
                .bind::<Text, _>(email.clone())
                .sql(")"),
        ),
        FindBy::Name(name) => {
            // LIKE's own characters typed in a name match only themselves.
            let pattern = format!(
                "%{}%",
                name.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            q.filter(
                sql::<Bool>("f_unaccent(lower(submissions.reporter_name)) LIKE f_unaccent(lower(")
                    .bind::<Text, _>(pattern)
                    .sql("))"),
            )
        }
    };
    if let Some(kind) = f.kind {
        q = q.filter(submissions::kind.eq(kind));
    }
    if let Some(from) = f.from {
        q = q.filter(submissions::received_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(submissions::received_at.lt(to));
    }
    q
}

/// How many of `unit_id`'s submissions have one of `statuses`, counting at
/// most `cap` (a queue of 100,000 costs what one of `cap` does).
pub fn count_by_status(
    conn: &mut PgConnection,
    unit_id: i32,
    statuses: &[SubmissionStatus],
    cap: i64,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let codes: Vec<String> = statuses.iter().map(|s| s.code().to_owned()).collect();
    let row: N = diesel::sql_query(
        "SELECT count(*) AS n FROM (SELECT 1 FROM submissions WHERE unit_id = $1 AND status = ANY($2) LIMIT $3) x",
    )
    .bind::<diesel::sql_types::Integer, _>(unit_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(codes)
    .bind::<diesel::sql_types::BigInt, _>(cap)
    .get_result(conn)?;
    Ok(row.n)
}

/// Submissions received since `since` (the burst check of the public form).
pub fn count_since(conn: &mut PgConnection, since: DateTime<Utc>) -> QueryResult<i64> {
    submissions::table
        .filter(submissions::received_at.ge(since))
        .count()
        .get_result(conn)
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = submission_files, check_for_backend(Pg))]
pub struct SubmissionFile {
    pub id: i64,
    pub storage_id: String,
    pub submission_id: Option<i64>,
    pub draft_key: Option<String>,
    pub original_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub detected_type: String,
    pub received_at: DateTime<Utc>,
    pub follow_up: bool,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = submission_files)]
pub struct NewFile<'a> {
    pub storage_id: &'a str,
    pub submission_id: Option<i64>,
    pub draft_key: Option<&'a str>,
    pub original_name: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub detected_type: &'a str,
    pub follow_up: bool,
}

pub fn insert_files(conn: &mut PgConnection, files: &[NewFile<'_>]) -> QueryResult<usize> {
    diesel::insert_into(submission_files::table)
        .values(files)
        .execute(conn)
}

/// Files staged under a draft key (uploaded with a form that had errors).
pub fn staged(conn: &mut PgConnection, draft: &str) -> QueryResult<Vec<SubmissionFile>> {
    submission_files::table
        .filter(submission_files::draft_key.eq(draft))
        .filter(submission_files::submission_id.is_null())
        .order(submission_files::id.asc())
        .select(SubmissionFile::as_select())
        .load(conn)
}

/// Unstages files the reporter removed; returns their storage ids.
pub fn unstage(conn: &mut PgConnection, draft: &str, ids: &[i64]) -> QueryResult<Vec<String>> {
    diesel::delete(
        submission_files::table
            .filter(submission_files::draft_key.eq(draft))
            .filter(submission_files::submission_id.is_null())
            .filter(submission_files::id.eq_any(ids)),
    )
    .returning(submission_files::storage_id)
    .get_results(conn)
}

/// Attaches a draft's staged files to the submission.
pub fn attach_staged(
    conn: &mut PgConnection,
    draft: &str,
    submission_id: i64,
) -> QueryResult<usize> {
    diesel::update(
        submission_files::table
            .filter(submission_files::draft_key.eq(draft))
            .filter(submission_files::submission_id.is_null()),
    )
    .set((
        submission_files::submission_id.eq(submission_id),
        submission_files::draft_key.eq(None::<String>),
    ))
    .execute(conn)
}

pub fn files(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<SubmissionFile>> {
    submission_files::table
        .filter(submission_files::submission_id.eq(submission_id))
        .order(submission_files::id.asc())
        .select(SubmissionFile::as_select())
        .load(conn)
}

pub fn file(conn: &mut PgConnection, submission_id: i64, id: i64) -> QueryResult<SubmissionFile> {
    submission_files::table
        .filter(submission_files::submission_id.eq(submission_id))
        .filter(submission_files::id.eq(id))
        .select(SubmissionFile::as_select())
        .first(conn)
}

/// Which of `ids` are storage ids of file rows.
pub fn existing_storage_ids(conn: &mut PgConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    submission_files::table
        .filter(submission_files::storage_id.eq_any(ids))
        .select(submission_files::storage_id)
        .load(conn)
}

/// Staged files never sent within `older_than`: removed with their rows.
pub fn expire_staged(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<Vec<String>> {
    diesel::delete(
        submission_files::table
            .filter(submission_files::submission_id.is_null())
            .filter(submission_files::received_at.lt(before)),
    )
    .returning(submission_files::storage_id)
    .get_results(conn)
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = submission_messages, check_for_backend(Pg))]
pub struct Message {
    pub id: i64,
    pub submission_id: i64,
    pub kind: MessageKind,
    pub author_id: Option<i64>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub fn add_message(
    conn: &mut PgConnection,
    submission_id: i64,
    kind: MessageKind,
    author_id: Option<i64>,
    body: &str,
) -> QueryResult<Message> {
    diesel::insert_into(submission_messages::table)
        .values((
            submission_messages::submission_id.eq(submission_id),
            submission_messages::kind.eq(kind),
            submission_messages::author_id.eq(author_id),
            submission_messages::body.eq(body),
        ))
        .returning(Message::as_returning())
        .get_result(conn)
}

pub fn messages(conn: &mut PgConnection, submission_id: i64) -> QueryResult<Vec<Message>> {
    submission_messages::table
        .filter(submission_messages::submission_id.eq(submission_id))
        .order(submission_messages::id.asc())
        .select(Message::as_select())
        .load(conn)
}

/// (tracking code, summary) of each of `ids`.
pub fn code_summaries(
    conn: &mut PgConnection,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, (String, String)>> {
    Ok(submissions::table
        .filter(submissions::id.eq_any(ids))
        .select((
            submissions::id,
            submissions::tracking_code,
            submissions::summary,
        ))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, c, s)| (id, (c, s)))
        .collect())
}

/// Moves a report still in intake to another unit's intake, with its
/// identifier links.
pub fn move_to_unit(conn: &mut PgConnection, id: i64, unit: i32) -> QueryResult<()> {
    use crate::db::schema::identifier_links;
    diesel::update(submissions::table.find(id))
        .set((
            submissions::unit_id.eq(unit),
            submissions::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    diesel::update(identifier_links::table.filter(identifier_links::submission_id.eq(id)))
        .set(identifier_links::unit_id.eq(unit))
        .execute(conn)?;
    Ok(())
}

/// Public reports a unit received in `[from, to)`: how many, triaged (made a
/// case or attached to one, as the intake search's "triaged"), marked spam,
/// and the median time to either decision in seconds (statistics).
#[derive(QueryableByName, Clone, Debug, Default)]
pub struct IntakeFigures {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub received: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub triaged: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub spam: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    pub median_seconds: Option<f64>,
}

pub fn figures(
    conn: &mut PgConnection,
    unit_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<IntakeFigures> {
    use diesel::sql_types::{Integer, Timestamptz};
    diesel::sql_query(
        "SELECT count(*)::bigint AS received, \
                count(*) FILTER (WHERE status IN ('case', 'attached'))::bigint AS triaged, \
                count(*) FILTER (WHERE status = 'spam')::bigint AS spam, \
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM triaged_at - received_at)) \
                    FILTER (WHERE triaged_at IS NOT NULL) AS median_seconds \
         FROM submissions WHERE unit_id = $1 AND received_at >= $2 AND received_at < $3",
    )
    .bind::<Integer, _>(unit_id)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .get_result(conn)
}
