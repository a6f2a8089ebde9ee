//! `users`: officers, supervisors and administrators.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::users;

pub use crate::domain::role::Role;
pub use crate::domain::submission::ReportNotice;
crate::sql_text!(Role);
crate::sql_text!(ReportNotice);

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = users, check_for_backend(Pg))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub team: Option<String>,
    pub on_duty: bool,
    pub lang: String,
    pub active: bool,
    pub must_change_password: bool,
    pub password_hash: String,
    pub password_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optional mail events switched off (`services::notify::Event` codes).
    pub mail_off: Vec<String>,
    /// How they hear of new public reports; None: their role's default.
    pub report_notice: Option<ReportNotice>,
    /// The unit whose cases and reports they work; roles apply within it.
    pub unit_id: i32,
    /// A service account: no password, signs in only with API tokens, never
    /// staff (not assigned, not mailed).
    pub service: bool,
    /// The TOTP secret: being set up while `totp_enabled_at` is None.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled_at: Option<DateTime<Utc>>,
    /// The last time step a code was accepted for (each code counts once).
    pub totp_last_step: i64,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub full_name: &'a str,
    pub role: Role,
    pub team: Option<&'a str>,
    pub on_duty: bool,
    pub lang: &'a str,
    pub must_change_password: bool,
    pub password_hash: &'a str,
    pub unit_id: i32,
    pub service: bool,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub role: Option<Role>,
    pub team: Option<Option<String>>,
    pub on_duty: Option<bool>,
    pub lang: Option<String>,
    pub active: Option<bool>,
    pub must_change_password: Option<bool>,
    pub password_hash: Option<String>,
    pub password_changed_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub mail_off: Option<Vec<String>>,
    pub report_notice: Option<Option<ReportNotice>>,
    pub unit_id: Option<i32>,
}

/// Filters of the admin user list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Matches name or e-mail, case-insensitively.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// (id, name, role, active) of everyone, by name: the staff directory.
/// (id, name, role, active, unit) of one account.
pub type DirectoryRow = (i64, String, Role, bool, i32);

pub fn directory(conn: &mut PgConnection) -> QueryResult<Vec<DirectoryRow>> {
    users::table
        .order((users::full_name.asc(), users::id.asc()))
        .select((
            users::id,
            users::full_name,
            users::role,
            // A service account is never offered as staff.
            users::active.and(users::service.eq(false)),
            users::unit_id,
        ))
        .load(conn)
}

pub fn insert(conn: &mut PgConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(conn)
}

pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<User> {
    users::table
        .find(id)
        .select(User::as_select())
        .for_update()
        .first(conn)
}

/// Looks up by e-mail; callers pass the lower-cased form.
pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut PgConnection, id: i64, changes: &UserChanges) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(User::as_returning())
        .get_result(conn)
}

/// (e-mail, id, role, active, unit id).
pub type WorkerRow = (String, i64, Role, bool, i32);

/// Everyone by e-mail, with what decides whether a case may be theirs
/// (e-mail, id, role, active, unit): the import names assignees by e-mail.
pub fn workers(conn: &mut PgConnection) -> QueryResult<Vec<WorkerRow>> {
    users::table
        .select((
            users::email,
            users::id,
            users::role,
            users::active.and(users::service.eq(false)),
            users::unit_id,
        ))
        .load(conn)
}

pub fn count_all(conn: &mut PgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Active administrators other than `except_id` (guards against locking everyone out).
pub fn count_other_active_admins(conn: &mut PgConnection, except_id: i64) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::active.eq(true))
        .filter(users::id.ne(except_id))
        .count()
        .get_result(conn)
}

fn filtered(filter: &UserFilter) -> users::BoxedQuery<'static, Pg> {
    let mut query = users::table.into_boxed();
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", escape_like(q));
        query = query.filter(
            users::full_name
                .ilike(pattern.clone())
                .or(users::email.ilike(pattern)),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    query
}

pub fn count(conn: &mut PgConnection, filter: &UserFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// One page of users, ordered by name then id (stable across pages), and the total.
pub fn list(
    conn: &mut PgConnection,
    filter: &UserFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<User>, i64)> {
    let total = count(conn, filter)?;
    let rows = filtered(filter)
        .order((users::full_name.asc(), users::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(User::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Keeps a secret being set up (not yet on).
pub fn set_pending_totp(conn: &mut PgConnection, id: i64, secret: &[u8]) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::totp_enabled_at.is_null()),
    )
    .set(users::totp_secret.eq(secret))
    .execute(conn)
}

/// Turns the second factor on at `step` (the confirming code's).
pub fn enable_totp(
    conn: &mut PgConnection,
    id: i64,
    at: DateTime<Utc>,
    step: i64,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::totp_enabled_at.eq(at),
            users::totp_last_step.eq(step),
        ))
        .execute(conn)
}

/// Records the step of a code just accepted, only if later than the last:
/// 0 rows when another request used it first.
pub fn use_totp_step(conn: &mut PgConnection, id: i64, step: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id).filter(users::totp_last_step.lt(step)))
        .set(users::totp_last_step.eq(step))
        .execute(conn)
}

/// Removes the second factor (turned off, or reset by an administrator).
pub fn clear_totp(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::totp_secret.eq(None::<Vec<u8>>),
            users::totp_enabled_at.eq(None::<DateTime<Utc>>),
            users::totp_last_step.eq(0),
        ))
        .execute(conn)
}

/// Escapes `%`, `_` and `\` so user text in ILIKE matches literally.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A staff member mail may go to.
#[derive(Queryable, Clone, Debug)]
pub struct MailRecipient {
    pub id: i64,
    pub email: String,
    pub lang: String,
    /// Optional mail events switched off.
    pub mail_off: Vec<String>,
    pub unit_id: i32,
}

type RecipientCols = (
    users::id,
    users::email,
    users::lang,
    users::mail_off,
    users::unit_id,
);
const RECIPIENT: RecipientCols = (
    users::id,
    users::email,
    users::lang,
    users::mail_off,
    users::unit_id,
);

/// Active users among `ids` other than `except`, with their roles.
pub fn mail_recipients(
    conn: &mut PgConnection,
    ids: &[i64],
    except: i64,
) -> QueryResult<Vec<(MailRecipient, Role)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .filter(users::id.ne(except))
        .filter(users::active.eq(true))
        .filter(users::service.eq(false))
        .select((RECIPIENT, users::role))
        .load(conn)
}

/// The ids of a unit's active supervisors (people, not service accounts).
pub fn supervisor_ids(conn: &mut PgConnection, unit_id: i32) -> QueryResult<Vec<i64>> {
    users::table
        .filter(users::active.eq(true))
        .filter(users::service.eq(false))
        .filter(users::unit_id.eq(unit_id))
        .filter(users::role.eq(Role::Supervisor))
        .select(users::id)
        .load(conn)
}

/// Active supervisors and officers on duty (who hear of new public reports),
/// with their roles and how they chose to hear.
pub fn duty_recipients(
    conn: &mut PgConnection,
    unit_id: i32,
) -> QueryResult<Vec<(MailRecipient, Role, Option<ReportNotice>)>> {
    users::table
        .filter(users::active.eq(true))
        .filter(users::service.eq(false))
        .filter(users::unit_id.eq(unit_id))
        .filter(
            users::role
                .eq(Role::Supervisor)
                .or(users::role.eq(Role::Officer).and(users::on_duty.eq(true))),
        )
        .order(users::id.asc())
        .select((RECIPIENT, users::role, users::report_notice))
        .load(conn)
}

/// Active officers and supervisors, with their roles (the daily digests).
pub fn digest_recipients(
    conn: &mut PgConnection,
    unit_id: i32,
) -> QueryResult<Vec<(MailRecipient, Role)>> {
    users::table
        .filter(users::unit_id.eq(unit_id))
        .filter(users::active.eq(true))
        .filter(users::service.eq(false))
        .filter(users::role.eq_any([Role::Officer, Role::Supervisor]))
        .order(users::id.asc())
        .select((RECIPIENT, users::role))
        .load(conn)
}
