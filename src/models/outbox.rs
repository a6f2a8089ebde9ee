//! `email_outbox`: mails waiting to be sent, sent, or given up on.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::email_outbox;

crate::text_enum!(
    MailStatus, "mail-status" {
        Queued => "queued",
        Sent => "sent",
        Failed => "failed",
    }
);

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = email_outbox, check_for_backend(Pg))]
pub struct OutboxMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub recipient_user_id: Option<i64>,
    pub lang: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub case_id: Option<i64>,
    pub token: String,
    pub status: MailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub dedupe_key: Option<String>,
}

#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = email_outbox)]
pub struct NewMail {
    pub kind: String,
    pub recipient: String,
    pub recipient_user_id: Option<i64>,
    pub lang: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub case_id: Option<i64>,
    pub token: String,
    pub dedupe_key: Option<String>,
}

/// Queues mails; a row whose dedupe key is already taken is skipped.
pub fn insert(conn: &mut PgConnection, mails: &[NewMail]) -> QueryResult<usize> {
    if mails.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(email_outbox::table)
        .values(mails)
        .on_conflict(email_outbox::dedupe_key)
        .do_nothing()
        .execute(conn)
}

/// Adds one mail that no sender loop may claim before `until` (the `mail test`
/// command sends it itself), and returns its row.
pub fn insert_held(
    conn: &mut PgConnection,
    mail: &NewMail,
    until: DateTime<Utc>,
) -> QueryResult<OutboxMail> {
    conn.transaction(|conn| {
        let row: OutboxMail = diesel::insert_into(email_outbox::table)
            .values(mail)
            .returning(OutboxMail::as_returning())
            .get_result(conn)?;
        diesel::update(email_outbox::table.find(row.id))
            .set(email_outbox::next_attempt_at.eq(until))
            .returning(OutboxMail::as_returning())
            .get_result(conn)
    })
}

/// Claims up to `limit` due mails for `lease`: their due time moves forward, so
/// another sender skips them now (SKIP LOCKED) and after the claim commits, and
/// picks them up again only if this one dies without marking them.
pub fn claim(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxMail>> {
    conn.transaction(|conn| {
        let ids: Vec<i64> = email_outbox::table
            .filter(email_outbox::status.eq(MailStatus::Queued))
            .filter(email_outbox::next_attempt_at.le(now))
            .order(email_outbox::next_attempt_at.asc())
            .limit(limit)
            .select(email_outbox::id)
            .for_update()
            .skip_locked()
            .load(conn)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(email_outbox::table.filter(email_outbox::id.eq_any(&ids)))
            .set((
                email_outbox::next_attempt_at.eq(now + lease),
                email_outbox::attempts.eq(email_outbox::attempts + 1),
            ))
            .returning(OutboxMail::as_returning())
            .get_results(conn)
    })
}

/// Marks a mail sent. The commit does not wait for the disk flush: if the
/// database itself crashed in the next instant the mark could be lost and the
/// mail sent again (same Message-ID), but never lost; waiting for a flush per
/// mail would cap sending at the disk's fsync rate.
///
/// Like the other marks it applies only to the claim it reports on (the row is
/// still queued at the claimed attempt): a sender whose lease ran out cannot
/// overwrite what another sender did since.
pub fn mark_sent(
    conn: &mut PgConnection,
    id: i64,
    attempt: i32,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    conn.transaction(|conn| {
        diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(conn)?;
        diesel::update(claimed(id, attempt))
            .set((
                email_outbox::status.eq(MailStatus::Sent),
                email_outbox::sent_at.eq(now),
                email_outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)
    })
}

/// The row while it is still the claim made at `attempt`.
type Claimed = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Find<email_outbox::table, i64>,
        diesel::dsl::Eq<email_outbox::status, MailStatus>,
    >,
    diesel::dsl::Eq<email_outbox::attempts, i32>,
>;

fn claimed(id: i64, attempt: i32) -> Claimed {
    email_outbox::table
        .find(id)
        .filter(email_outbox::status.eq(MailStatus::Queued))
        .filter(email_outbox::attempts.eq(attempt))
}

/// Records a failed attempt: due again at `retry_at`, or `failed` for good.
pub fn mark_failed(
    conn: &mut PgConnection,
    id: i64,
    attempt: i32,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> QueryResult<usize> {
    let error: String = error.chars().take(1000).collect();
    match retry_at {
        Some(at) => diesel::update(claimed(id, attempt))
            .set((
                email_outbox::next_attempt_at.eq(at),
                email_outbox::last_error.eq(error),
            ))
            .execute(conn),
        None => diesel::update(claimed(id, attempt))
            .set((
                email_outbox::status.eq(MailStatus::Failed),
                email_outbox::last_error.eq(error),
            ))
            .execute(conn),
    }
}

/// Gives a claimed mail back untried (its server was unreachable a moment ago):
/// the claim's attempt is not counted.
pub fn release(
    conn: &mut PgConnection,
    id: i64,
    attempt: i32,
    error: &str,
    retry_at: DateTime<Utc>,
) -> QueryResult<usize> {
    let error: String = error.chars().take(1000).collect();
    diesel::update(claimed(id, attempt))
        .set((
            email_outbox::next_attempt_at.eq(retry_at),
            email_outbox::attempts.eq(email_outbox::attempts - 1),
            email_outbox::last_error.eq(error),
        ))
        .execute(conn)
}

/// Puts a failed mail back in the queue, due now. Returns false if it was not failed.
pub fn retry_now(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> QueryResult<bool> {
    let n = diesel::update(
        email_outbox::table
            .find(id)
            .filter(email_outbox::status.eq(MailStatus::Failed)),
    )
    .set((
        email_outbox::status.eq(MailStatus::Queued),
        email_outbox::attempts.eq(0),
        email_outbox::next_attempt_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<OutboxMail> {
    email_outbox::table
        .find(id)
        .select(OutboxMail::as_select())
        .first(conn)
}

/// Ids of the deactivated users among the recipients of `mails`.
pub fn inactive_recipients(conn: &mut PgConnection, mails: &[OutboxMail]) -> QueryResult<Vec<i64>> {
    use crate::db::schema::users;
    let ids: Vec<i64> = mails.iter().filter_map(|m| m.recipient_user_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table
        .filter(users::id.eq_any(ids))
        .filter(users::active.eq(false))
        .select(users::id)
        .load(conn)
}

/// Filters of the admin list.
#[derive(Clone, Debug, Default)]
pub struct MailFilter {
    pub status: Option<MailStatus>,
    pub kind: Option<String>,
    /// Matches the recipient address, case-insensitively.
    pub recipient: Option<String>,
}

/// Newest first, keyset-paginated by id (`before`).
pub fn list(
    conn: &mut PgConnection,
    f: &MailFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OutboxMail>> {
    let mut q = email_outbox::table.into_boxed();
    if let Some(s) = f.status {
        q = q.filter(email_outbox::status.eq(s));
    }
    if let Some(kind) = &f.kind {
        q = q.filter(email_outbox::kind.eq(kind.clone()));
    }
    if let Some(r) = &f.recipient {
        let pattern = format!("%{}%", crate::models::user::escape_like(&r.to_lowercase()));
        q = q.filter(email_outbox::recipient.ilike(pattern));
    }
    if let Some(before) = before {
        q = q.filter(email_outbox::id.lt(before));
    }
    q.order(email_outbox::id.desc())
        .limit(limit)
        .select(OutboxMail::as_select())
        .load(conn)
}

/// Number of mails per status.
pub fn counts(conn: &mut PgConnection) -> QueryResult<Vec<(MailStatus, i64)>> {
    email_outbox::table
        .group_by(email_outbox::status)
        .select((email_outbox::status, diesel::dsl::count_star()))
        .load(conn)
}
