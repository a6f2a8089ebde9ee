//! `audit_log`: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE).

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{audit_log, users};
use crate::domain::RequestMeta;

/// Every action the application records; each has a label `audit-<action>` in
/// both catalogues.
pub const ACTIONS: &[&str] = &[
    "audit_export",
    "audit_anchor_sent",
    "token_create",
    "token_revoke",
    "second_factor_on",
    "second_factor_off",
    "second_factor_codes",
    "second_factor_reset",
    "session_end",
    "login",
    "login_failed",
    "login_ip_limited",
    "lockout",
    "logout",
    "password_change",
    "profile_language",
    "user_bootstrap",
    "user_create",
    "user_update",
    "user_activate",
    "user_deactivate",
    "user_password_reset",
    "case_create",
    "case_update",
    "case_status",
    "case_assign",
    "case_note",
    "case_extend",
    "case_link",
    "case_merge",
    "case_watch",
    "case_reporter_view",
    "case_recovery_add",
    "case_recovery_remove",
    "case_export",
    "category_create",
    "category_update",
    "deadline_rule_update",
    "mail_retry",
    "profile_mail_prefs",
    "submission_create",
    "submission_addition",
    "submission_view",
    "submission_search",
    "submission_file_download",
    "submission_to_case",
    "submission_attach",
    "submission_message",
    "submission_spam",
    "exhibit_add",
    "exhibit_withdraw",
    "exhibit_export",
    "custody_report",
    "identifier_link",
    "identifier_unlink",
    "identifiers_export_csv",
    "identifiers_export_stix",
    "hot_list_export",
    "submission_identifier",
    "bank_create",
    "bank_update",
    "legal_basis_create",
    "legal_basis_update",
    "retention_rule_create",
    "retention_rule_update",
    "retention_run",
    "case_anonymise",
    "case_hold_set",
    "case_hold_release",
    "case_search_reporter",
    "identifier_search_victim",
    "identifier_view_victim",
    "data_request_receive",
    "data_request_answer",
    "unit_create",
    "unit_update",
    "unit_from_settings",
    "case_transfer_send",
    "case_transfer_accept",
    "case_transfer_return",
    "report_route_set",
    "report_route_remove",
    "detail_request_ask",
    "detail_request_share",
    "detail_request_decline",
    "case_share_revoke",
    "case_share_view",
    "submission_forward",
    "import_upload",
    "import_dry_run",
    "import_run",
    "case_import",
];

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = audit_log, check_for_backend(Pg))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: serde_json::Value,
}

/// One row to append. `detail` is a short JSON object and never carries a
/// password, token or form body.
pub struct NewAudit<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    pub detail: serde_json::Value,
}

/// When `action` was last recorded, by anyone.
pub fn last_of(conn: &mut PgConnection, action: &str) -> QueryResult<Option<DateTime<Utc>>> {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id.desc())
        .select(audit_log::at)
        .first(conn)
        .optional()
}

/// Appends a row. Call it inside the transaction of the change it records.
pub fn append(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    row: NewAudit<'_>,
) -> QueryResult<usize> {
    debug_assert!(
        ACTIONS.contains(&row.action),
        "unlisted audit action {}",
        row.action
    );
    let ua: String = meta.user_agent.chars().take(300).collect();
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(row.actor_id),
            audit_log::action.eq(row.action),
            audit_log::target_type.eq(row.target_type),
            audit_log::target_id.eq(row.target_id),
            audit_log::ip.eq(Some(meta.ip.as_str()).filter(|s| !s.is_empty())),
            audit_log::user_agent.eq(Some(ua).filter(|s| !s.is_empty())),
            audit_log::detail.eq(row.detail),
            audit_log::api_token_id.eq(meta.api_token_id),
        ))
        .execute(conn)
}

/// Appends many rows from one request in one statement (the import's batches).
pub fn append_many(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    rows: &[NewAudit<'_>],
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let ua: String = meta.user_agent.chars().take(300).collect();
    let ip = Some(meta.ip.as_str()).filter(|s| !s.is_empty());
    let ua = Some(ua.as_str()).filter(|s| !s.is_empty());
    let values: Vec<_> = rows
        .iter()
        .map(|row| {
            debug_assert!(
                ACTIONS.contains(&row.action),
                "unlisted audit action {}",
                row.action
            );
            (
                audit_log::actor_id.eq(row.actor_id),
                audit_log::action.eq(row.action),
                audit_log::target_type.eq(row.target_type),
                audit_log::target_id.eq(row.target_id.as_deref()),
                audit_log::ip.eq(ip),
                audit_log::user_agent.eq(ua),
                audit_log::detail.eq(&row.detail),
                audit_log::api_token_id.eq(meta.api_token_id),
            )
        })
        .collect();
    diesel::insert_into(audit_log::table)
        .values(values)
        .execute(conn)
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<i64>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Newest first, keyset-paginated by id (`before`), with the actor's name.
pub fn list(
    conn: &mut PgConnection,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(AuditEntry, Option<String>)>> {
    let mut query = audit_log::table.left_join(users::table).into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(actor));
    }
    if let Some(t) = &filter.target_type {
        query = query.filter(audit_log::target_type.eq(t.clone()));
    }
    if let Some(t) = &filter.target_id {
        query = query.filter(audit_log::target_id.eq(t.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::at.lt(to));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    query
        .order(audit_log::id.desc())
        .limit(limit)
        .select((AuditEntry::as_select(), users::full_name.nullable()))
        .load(conn)
}

impl AuditEntry {
    /// Catalogue key of the action's label.
    pub fn label_key(&self) -> String {
        format!("audit-{}", self.action)
    }

    /// `type:id` of the target, or empty.
    pub fn target(&self) -> String {
        match (&self.target_type, &self.target_id) {
            (Some(t), Some(id)) => format!("{t}:{id}"),
            (Some(t), None) => t.clone(),
            _ => String::new(),
        }
    }

    /// The detail object as compact JSON, or empty when it has nothing.
    pub fn detail_text(&self) -> String {
        match &self.detail {
            serde_json::Value::Object(m) if m.is_empty() => String::new(),
            v => v.to_string(),
        }
    }
}

/// Up to `limit` rows of the hash chain after position `after`, in chain
/// order, with `detail` as PostgreSQL prints it.
pub fn chain_after(
    conn: &mut PgConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<crate::domain::audit_chain::Link>> {
    use diesel::sql_types::{BigInt, Bytea, Nullable, Text, Timestamptz};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        seq: i64,
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Timestamptz)]
        at: DateTime<Utc>,
        #[diesel(sql_type = Nullable<BigInt>)]
        actor_id: Option<i64>,
        #[diesel(sql_type = Text)]
        action: String,
        #[diesel(sql_type = Nullable<Text>)]
        target_type: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        target_id: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        ip: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        user_agent: Option<String>,
        #[diesel(sql_type = Text)]
        detail: String,
        #[diesel(sql_type = Nullable<BigInt>)]
        api_token_id: Option<i64>,
        #[diesel(sql_type = Nullable<Bytea>)]
        prev_hash: Option<Vec<u8>>,
        #[diesel(sql_type = Nullable<Bytea>)]
        hash: Option<Vec<u8>>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT seq, id, at, actor_id, action, target_type, target_id, ip, user_agent,
                detail::text AS detail, api_token_id, prev_hash, hash
         FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| crate::domain::audit_chain::Link {
            seq: r.seq,
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            ip: r.ip,
            user_agent: r.user_agent,
            detail: r.detail,
            api_token_id: r.api_token_id,
            prev_hash: r.prev_hash,
            hash: r.hash,
        })
        .collect())
}

/// The chain's head: its length and last hash.
pub fn chain_head(conn: &mut PgConnection) -> QueryResult<(i64, Vec<u8>)> {
    use crate::db::schema::audit_chain;
    audit_chain::table
        .find(1)
        .select((audit_chain::seq, audit_chain::hash))
        .first(conn)
}

/// Rows outside the chain (no position): there should be none.
pub fn unchained(conn: &mut PgConnection) -> QueryResult<Option<i64>> {
    audit_log::table
        .filter(audit_log::seq.is_null())
        .select(audit_log::id)
        .order(audit_log::id)
        .first(conn)
        .optional()
}

/// One day's anchor: the chain's last row of that day (local `tz`).
#[derive(QueryableByName, Clone, Debug)]
pub struct Anchor {
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub day: chrono::NaiveDate,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub seq: i64,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    pub hash: Vec<u8>,
}

/// The anchors of the last `days` days that have rows, newest first: what
/// is printed or mailed outside, so a rewrite of the whole chain still shows.
pub fn anchors(conn: &mut PgConnection, tz: &str, days: i32) -> QueryResult<Vec<Anchor>> {
    diesel::sql_query(
        "SELECT DISTINCT ON (day) day, seq, hash
         FROM (SELECT (at AT TIME ZONE $1)::date AS day, seq, hash FROM audit_log
               WHERE at > now() - make_interval(days => $2 + 1) AND seq IS NOT NULL) a
         WHERE day > (now() AT TIME ZONE $1)::date - $2
         ORDER BY day DESC, seq DESC",
    )
    .bind::<diesel::sql_types::Text, _>(tz)
    .bind::<diesel::sql_types::Integer, _>(days)
    .load(conn)
}

/// Active administrators, who hear of a broken chain.
pub fn admin_addresses(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String, String)>> {
    users::table
        .filter(users::role.eq(crate::models::user::Role::Admin))
        .filter(users::active.eq(true))
        .select((users::id, users::email, users::lang))
        .load(conn)
}
