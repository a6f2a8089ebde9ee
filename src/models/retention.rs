//! `retention_rules`, and the writes of one anonymisation (`docs/domain.md`
//! §19). Those writes span the tables where a reporter's or victim's details
//! are kept; they are one operation, so they are kept together here.

use chrono::{DateTime, Utc};
use diesel::{pg::Pg, prelude::*, sql_types};

use crate::db::schema::{
    case_events, case_transactions, cases, identifier_links, retention_rules, submission_messages,
    submissions,
};
use crate::models::case::{CaseType, Outcome};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = retention_rules, check_for_backend(Pg))]
pub struct Rule {
    pub id: i32,
    pub case_type: CaseType,
    pub outcome: Option<Outcome>,
    pub months: i32,
    pub updated_at: DateTime<Utc>,
}

pub fn rules(conn: &mut PgConnection) -> QueryResult<Vec<Rule>> {
    retention_rules::table
        .order((
            retention_rules::case_type,
            retention_rules::outcome.asc().nulls_first(),
        ))
        .select(Rule::as_select())
        .load(conn)
}

pub fn insert_rule(
    conn: &mut PgConnection,
    case_type: CaseType,
    outcome: Option<Outcome>,
    months: i32,
) -> QueryResult<Rule> {
    diesel::insert_into(retention_rules::table)
        .values((
            retention_rules::case_type.eq(case_type),
            retention_rules::outcome.eq(outcome),
            retention_rules::months.eq(months),
        ))
        .returning(Rule::as_returning())
        .get_result(conn)
}

pub fn update_rule(conn: &mut PgConnection, id: i32, months: i32) -> QueryResult<Rule> {
    diesel::update(retention_rules::table.find(id))
        .set((
            retention_rules::months.eq(months),
            retention_rules::updated_at.eq(Utc::now()),
        ))
        .returning(Rule::as_returning())
        .get_result(conn)
}

pub fn delete_rule(conn: &mut PgConnection, id: i32) -> QueryResult<usize> {
    diesel::delete(retention_rules::table.find(id)).execute(conn)
}

/// A case whose personal data have outlived their rule.
#[derive(QueryableByName, Clone, Debug)]
pub struct Due {
    #[diesel(sql_type = sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = sql_types::Text, column_name = "ref")]
    pub ref_: String,
    #[diesel(sql_type = sql_types::Timestamptz)]
    pub decided_at: DateTime<Utc>,
    #[diesel(sql_type = sql_types::Integer)]
    pub months: i32,
}

/// Decided cases, not anonymised and not on hold, whose rule's months since
/// the decision have passed by `now`, oldest decision first; the rule for the
/// case's outcome wins over the type's general one. Duplicates merged into a
/// case already anonymised follow it (with 0 months).
pub fn due(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> QueryResult<Vec<Due>> {
    diesel::sql_query(
        // Two joins with the few rules, not a look-up per case: this reads
        // every decided case once a day.
        "SELECT c.id, c.ref, c.decided_at, COALESCE(ro.months, rg.months) AS months FROM cases c \
         LEFT JOIN retention_rules ro ON ro.case_type = c.case_type AND ro.outcome = c.outcome \
         LEFT JOIN retention_rules rg ON rg.case_type = c.case_type AND rg.outcome IS NULL \
         WHERE c.anonymised_at IS NULL AND c.hold_at IS NULL AND c.decided_at IS NOT NULL \
           AND c.status IN ('resolved', 'transferred', 'closed') \
           AND c.decided_at + make_interval(months => COALESCE(ro.months, rg.months)) <= $1 \
         UNION ALL \
         SELECT c.id, c.ref, s.anonymised_at, 0 FROM cases c JOIN cases s ON s.id = c.merged_into_id \
         WHERE c.status = 'merged' AND c.anonymised_at IS NULL AND c.hold_at IS NULL \
           AND s.anonymised_at IS NOT NULL \
         ORDER BY 3, 1 LIMIT $2",
    )
    .bind::<sql_types::Timestamptz, _>(now)
    .bind::<sql_types::BigInt, _>(limit)
    .load(conn)
}

/// What anonymisation reads of a case: every detail of the reporter and
/// victims that may be written elsewhere.
pub struct Details {
    pub reporter: Vec<Option<String>>,
    /// The victims field, as written (names are read out of it).
    pub victims: Option<String>,
    pub phones: Vec<Option<String>>,
    pub accounts: Vec<Option<String>>,
    /// Values of the victims' own identifiers (phones, accounts, e-mails).
    pub victim_identifiers: Vec<String>,
    pub texts: (String, String, Option<String>, String),
}

/// Locks the case for anonymising and reads its details, or None when it was
/// put under a hold or anonymised since it was found due.
pub fn details(conn: &mut PgConnection, case_id: i64) -> QueryResult<Option<Details>> {
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        String,
        Option<String>,
        String,
    );
    let r: Option<Row> = cases::table
        .find(case_id)
        .filter(cases::hold_at.is_null())
        .filter(cases::anonymised_at.is_null())
        .select((
            cases::reporter_name,
            cases::reporter_email,
            cases::reporter_national_id,
            cases::reporter_address,
            cases::reporter_tax_code,
            cases::reporter_phone,
            cases::victims,
            cases::title,
            cases::description,
            cases::resolution_summary,
            cases::search_extra,
        ))
        .for_update()
        .first(conn)
        .optional()?;
    let Some(r) = r else {
        return Ok(None);
    };
    let subs: Vec<(Option<String>, Option<String>, Option<String>)> = submissions::table
        .filter(submissions::case_id.eq(case_id))
        .select((
            submissions::reporter_name,
            submissions::contact_email,
            submissions::contact_phone,
        ))
        .load(conn)?;
    let accounts: Vec<Option<String>> = case_transactions::table
        .filter(case_transactions::case_id.eq(case_id))
        .select(case_transactions::from_account)
        .load(conn)?;
    let victim_identifiers: Vec<String> = identifier_links::table
        .inner_join(crate::db::schema::identifiers::table)
        .filter(identifier_links::case_id.eq(case_id))
        .filter(identifier_links::role.eq("victim"))
        .select(crate::db::schema::identifiers::value)
        .load(conn)?;
    let mut reporter = vec![r.0, r.1, r.2, r.3, r.4];
    let mut phones = vec![r.5];
    for (name, email, phone) in subs {
        reporter.push(name);
        reporter.push(email);
        phones.push(phone);
    }
    Ok(Some(Details {
        reporter,
        victims: r.6,
        phones,
        accounts,
        victim_identifiers,
        texts: (r.7, r.8, r.9, r.10),
    }))
}

/// Marks the case anonymised first: the guards of what is kept as it was let
/// only such a case's texts change.
pub fn mark(conn: &mut PgConnection, case_id: i64, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(cases::table.find(case_id))
        .set(cases::anonymised_at.eq(Some(now)))
        .execute(conn)
}

/// Says, for the rest of the transaction, that it is anonymising: the guards
/// of the timeline, the submissions as sent and the exhibits then let the
/// texts of a case already marked anonymised change (`docs/domain.md` §19).
pub fn declare_anonymising(conn: &mut PgConnection, on: bool) -> QueryResult<()> {
    diesel::sql_query("SELECT set_config('cyberdesk.anonymising', $1, true)")
        .bind::<sql_types::Text, _>(if on { "on" } else { "" })
        .execute(conn)
        .map(|_| ())
}

/// Texts elsewhere that may name the reporter: (table, columns with their
/// length limits, which rows are the case's, `$1` the case id).
type TextsOf = (&'static str, &'static [(&'static str, usize)], &'static str);
const OTHER_TEXTS: &[TextsOf] = &[
    ("exhibits", &[("original_name", 255), ("description", 2000)], "case_id = $1"),
    (
        "submission_files",
        &[("original_name", 255)],
        "submission_id IN (SELECT id FROM submissions WHERE case_id = $1)",
    ),
    ("case_transfers", &[("case_title", 2000), ("note", 2000)], "case_id = $1"),
    ("case_recoveries", &[("note", 1000)], "case_id = $1"),
    (
        "email_outbox",
        &[("recipient", 254), ("subject", 1000), ("body_text", 200_000), ("body_html", 400_000)],
        "case_id = $1 OR lower(recipient) IN ( \
           SELECT lower(contact_email) FROM submissions WHERE case_id = $1 AND contact_email IS NOT NULL \
           UNION SELECT lower(reporter_email) FROM cases WHERE id = $1 AND reporter_email IS NOT NULL)",
    ),
];

#[derive(QueryableByName)]
struct IdTexts {
    #[diesel(sql_type = sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = sql_types::Text)]
    v: String,
}

/// Every text of [`OTHER_TEXTS`] through `redact` (run before the case's own
/// fields are cleared: the mail to the reporter is found by their address).
pub fn redact_other_texts(
    conn: &mut PgConnection,
    case_id: i64,
    redact: &dyn Fn(&str) -> String,
) -> QueryResult<usize> {
    let mut changed = 0;
    for (table, cols, rows) in OTHER_TEXTS {
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        let found: Vec<IdTexts> = diesel::sql_query(format!(
            "SELECT id, json_build_array({})::text AS v FROM {table} WHERE {rows}",
            names.join(", ")
        ))
        .bind::<sql_types::BigInt, _>(case_id)
        .load(conn)?;
        for row in found {
            let old: Vec<Option<String>> = serde_json::from_str(&row.v).unwrap_or_default();
            let new: Vec<Option<String>> = old
                .iter()
                .zip(cols.iter())
                .map(|(v, (_, max))| v.as_deref().map(|t| redact(t).chars().take(*max).collect()))
                .collect();
            if new == old || new.len() != cols.len() {
                continue;
            }
            let sets: Vec<String> = names
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect();
            let mut q = diesel::sql_query(format!(
                "UPDATE {table} SET {} WHERE id = ${}",
                sets.join(", "),
                cols.len() + 1
            ))
            .into_boxed();
            for v in new {
                q = q.bind::<sql_types::Nullable<sql_types::Text>, _>(v);
            }
            changed += q.bind::<sql_types::BigInt, _>(row.id).execute(conn)?;
        }
    }
    Ok(changed)
}

/// The case's own fields: details cleared, free text as `redact` makes it.
pub fn clear_case(
    conn: &mut PgConnection,
    case_id: i64,
    texts: (String, String, Option<String>, String),
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let none: Option<String> = None;
    diesel::update(cases::table.find(case_id))
        .set((
            cases::reporter_name.eq(&none),
            cases::reporter_tax_code.eq(&none),
            cases::reporter_phone.eq(&none),
            cases::reporter_email.eq(&none),
            cases::reporter_address.eq(&none),
            cases::reporter_national_id.eq(&none),
            cases::victims.eq(&none),
            cases::title.eq(texts.0),
            cases::description.eq(texts.1),
            cases::resolution_summary.eq(texts.2),
            cases::search_extra.eq(texts.3),
            cases::anonymised_at.eq(Some(now)),
            // A form opened before cannot write the details back.
            cases::version.eq(cases::version + 1),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    // The victim's own accounts; the receiving (suspects') side stays.
    diesel::update(case_transactions::table.filter(case_transactions::case_id.eq(case_id)))
        .set((
            case_transactions::from_account.eq(&none),
            case_transactions::from_bank.eq(&none),
        ))
        .execute(conn)
}

/// The timeline's texts, each through `redact` (`whole` for events that
/// record a reporter's field, whose values are replaced entirely). The
/// timeline is append-only; the transaction has declared it is anonymising
/// (`declare_anonymising`), and the trigger then lets texts change and
/// nothing else.
pub fn redact_events(
    conn: &mut PgConnection,
    case_id: i64,
    redact: &dyn Fn(&str) -> String,
    whole: &str,
) -> QueryResult<usize> {
    type Ev = (i64, String, Option<String>, Option<String>, Option<String>);
    let events: Vec<Ev> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .select((
            case_events::id,
            case_events::kind,
            case_events::old_value,
            case_events::new_value,
            case_events::body,
        ))
        .load(conn)?;
    let mut changed = 0;
    for (id, kind, old, new, body) in events {
        let fix = |v: &Option<String>| match v {
            Some(_) if kind == "reporter" => Some(whole.to_owned()),
            Some(v) => Some(redact(v)),
            None => None,
        };
        let (o, n, b) = (fix(&old), fix(&new), body.as_deref().map(redact));
        if (&o, &n, &b) != (&old, &new, &body) {
            changed += diesel::update(case_events::table.find(id))
                .set((
                    case_events::old_value.eq(o),
                    case_events::new_value.eq(n),
                    case_events::body.eq(b),
                ))
                .execute(conn)?;
        }
    }
    Ok(changed)
}

/// The public reports that became the case: contact details and address
/// cleared, texts and the form's values through `redact`.
pub fn clear_submissions(
    conn: &mut PgConnection,
    case_id: i64,
    redact: &dyn Fn(&str) -> String,
) -> QueryResult<usize> {
    type Sub = (i64, String, String, serde_json::Value);
    let subs: Vec<Sub> = submissions::table
        .filter(submissions::case_id.eq(case_id))
        .select((
            submissions::id,
            submissions::summary,
            submissions::narrative,
            submissions::payload,
        ))
        .load(conn)?;
    let none: Option<String> = None;
    for (id, summary, narrative, payload) in &subs {
        diesel::update(submissions::table.find(id))
            .set((
                submissions::reporter_name.eq(&none),
                submissions::contact_phone.eq(&none),
                submissions::contact_email.eq(&none),
                submissions::ip.eq(&none),
                submissions::anonymised_at.eq(Some(Utc::now())),
                submissions::summary.eq(redact(summary)),
                submissions::narrative.eq(redact(narrative)),
                submissions::payload.eq(redact_json(&mask_personal_keys(payload), redact)),
            ))
            .execute(conn)?;
        let messages: Vec<(i64, String)> = submission_messages::table
            .filter(submission_messages::submission_id.eq(id))
            .select((submission_messages::id, submission_messages::body))
            .load(conn)?;
        for (mid, body) in messages {
            let b = redact(&body);
            if b != body {
                diesel::update(submission_messages::table.find(mid))
                    .set(submission_messages::body.eq(b))
                    .execute(conn)?;
            }
        }
    }
    Ok(subs.len())
}

/// The form's fields that are the reporter's or a victim's own: replaced
/// whole, whatever they hold.
const PERSONAL_KEYS: &[&str] = &[
    "reporter_name",
    "reporter_phone",
    "reporter_email",
    "reporter_address",
    "reporter_national_id",
    "reporter_tax_code",
    "victim_name",
    "ward",
];

fn mask_personal_keys(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let personal = PERSONAL_KEYS.contains(&k.as_str())
                        || k.ends_with("from_account")
                        || k.ends_with("from_bank");
                    let x = if personal && x.is_string() {
                        Value::String(crate::domain::redact::MASK.to_owned())
                    } else {
                        mask_personal_keys(x)
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(mask_personal_keys).collect()),
        other => other.clone(),
    }
}

/// Every string in a form's stored values through `redact`.
fn redact_json(v: &serde_json::Value, redact: &dyn Fn(&str) -> String) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(redact(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact_json(x, redact)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), redact_json(x, redact)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Links of victims' identifiers go; suspects' stay, without who reported them.
pub fn drop_victim_links(conn: &mut PgConnection, case_id: i64) -> QueryResult<usize> {
    let gone = diesel::delete(
        identifier_links::table
            .filter(identifier_links::case_id.eq(case_id))
            .filter(identifier_links::role.eq("victim")),
    )
    .execute(conn)?;
    // Who reported a suspect's identifier becomes a random name, the same
    // for the same person within the case, so counts of distinct reporters
    // within it stay.
    diesel::sql_query(
        "WITH m AS (SELECT k, 'anon-' || gen_random_uuid() AS v FROM \
             (SELECT DISTINCT reporter_key AS k FROM identifier_links \
               WHERE case_id = $1 AND reporter_key NOT LIKE 'anon-%') d) \
         UPDATE identifier_links l SET reporter_key = m.v FROM m \
          WHERE l.case_id = $1 AND l.reporter_key = m.k",
    )
    .bind::<sql_types::BigInt, _>(case_id)
    .execute(conn)?;
    Ok(gone)
}

/// Sets or lifts a legal hold.
pub fn set_hold(
    conn: &mut PgConnection,
    case_id: i64,
    hold: Option<(&str, i64)>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(cases::table.find(case_id))
        .set((
            cases::hold_reason.eq(hold.map(|h| h.0)),
            cases::hold_by.eq(hold.map(|h| h.1)),
            cases::hold_at.eq(hold.map(|_| now)),
        ))
        .execute(conn)
}
