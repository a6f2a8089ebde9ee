//! Opening a case from the form, and editing it with every changed field
//! recorded (old and new value); the legal clocks start at opening.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::form::CaseForm;
use super::validate::{search_extra, total, validate};
use crate::auth::{
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::config::Config;
use crate::domain::form::FormErrors;
use crate::domain::value::fmt_vnd;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::{
    case::{self, Case, CaseFields, NewCaseMeta, Status},
    case_event::{self, EventKind, NewEvent},
    category::{self},
    deadline::{self, StartsFrom},
};
use crate::services::access::load_visible;
use crate::services::deadlines;
use crate::services::identifiers;
use crate::services::journal::{audit_row, event};

/// Starts the clocks whose start event has happened (`received`/`occurred` at
/// intake, `resolved` at resolution).
pub(super) fn start_clocks(
    conn: &mut PgConnection,
    c: &Case,
    trigger: &[StartsFrom],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for rule in deadline::active_rules_for(conn, c.case_type)? {
        if !trigger.contains(&rule.starts_from) {
            continue;
        }
        let start = match rule.starts_from {
            StartsFrom::Received => c.received_at,
            StartsFrom::Occurred => c.occurred_at.unwrap_or(c.received_at),
            StartsFrom::Resolved => now,
        };
        deadline::start(
            conn,
            c.id,
            rule.kind,
            start,
            deadlines::due(start, rule.amount, rule.unit, tz),
        )?;
    }
    Ok(())
}

/// Logs a phone, walk-in, letter or e-mail report as a new case: reference number,
/// fields, money rows, clocks, timeline and audit, all in one transaction.
pub fn create(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    form: &CaseForm,
) -> Result<Case, AppError> {
    policy::require(me, Action::WorkCases)?;
    let categories = category::all(conn)?;
    let now = Utc::now();
    let mut v = validate(form, &categories, me.tz(cfg.time_zone), now).map_err(AppError::Form)?;
    if v.fields.team.is_none() {
        v.fields.team = me.team.clone();
    }
    conn.transaction(|conn| {
        let local = now.with_timezone(&me.tz(cfg.time_zone));
        let year = local.year();
        // The unit's prefix, and its name on the day the report was received.
        let received_on = v
            .fields
            .received_at
            .with_timezone(&me.tz(cfg.time_zone))
            .date_naive();
        let (prefix, unit_name) = crate::models::unit::on_record(conn, me.unit_id, received_on)?;
        let legal_basis_id = match crate::domain::law::topic_of(v.case_type) {
            Some(topic) => crate::models::legal_basis::id_on(conn, topic, received_on)?,
            None => None,
        };
        let seq = case::next_seq(conn, me.unit_id, v.case_type, year)?;
        let reference = format!("{prefix}-{}-{year}-{seq:05}", v.case_type.ref_code());
        let meta_row = NewCaseMeta {
            ref_: &reference,
            case_type: v.case_type,
            ref_year: year,
            ref_seq: seq,
            channel: v.channel,
            unit_name: &unit_name,
            unit_id: me.unit_id,
            created_by: me.id,
            updated_by: me.id,
            total_loss: total(&v.txs),
            search_extra: &search_extra(&v.fields, &v.txs),
            legal_basis_id,
        };
        let c = case::insert(conn, &meta_row, &v.fields)?;
        case::replace_transactions(conn, c.id, &v.txs)?;
        identifiers::sync_case(
            conn,
            &case_report(&c, &v.fields),
            &v.txs,
            v.fields.reporter_phone.as_deref(),
            me.id,
        )?;
        start_clocks(
            conn,
            &c,
            &[StartsFrom::Received, StartsFrom::Occurred],
            me.tz(cfg.time_zone),
            now,
        )?;
        crate::services::deadlines::refresh_deadline(conn, c.id)?;
        case_event::insert(
            conn,
            &[NewEvent {
                data: Some(json!({ "channel": c.channel.code() })),
                ..event(&c, me, EventKind::Created)
            }],
        )?;
        audit_row(
            conn,
            me,
            meta,
            "case_create",
            &c,
            json!({ "type": c.case_type.code() }),
        )?;
        Ok(case::find(conn, c.id)?)
    })
}

/// The case as a report, for linking its identifiers.
fn case_report(c: &Case, f: &CaseFields) -> identifiers::Report {
    identifiers::Report {
        submission_id: None,
        case_id: Some(c.id),
        unit_id: c.unit_id,
        reported_at: f.received_at,
        reporter_key: identifiers::reporter_key(
            f.reporter_phone.as_deref(),
            f.reporter_email.as_deref(),
        ),
    }
}

/// (field, value as shown) of the fields the edit form changes, for the history.
fn field_values(f: &CaseFields, tz: Tz) -> Vec<(&'static str, String)> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let d = |v: &Option<DateTime<Utc>>| {
        v.map(|d| crate::i18n::fmt_datetime(&d, tz))
            .unwrap_or_default()
    };
    vec![
        (
            "category_id",
            f.category_id.map(|v| v.to_string()).unwrap_or_default(),
        ),
        (
            "subcategory_id",
            f.subcategory_id.map(|v| v.to_string()).unwrap_or_default(),
        ),
        ("title", f.title.clone()),
        ("description", f.description.clone()),
        ("severity", f.severity.code().into()),
        ("tlp", f.tlp.code().into()),
        ("confidential_reporter", f.confidential_reporter.to_string()),
        ("team", o(&f.team)),
        ("received_at", crate::i18n::fmt_datetime(&f.received_at, tz)),
        ("occurred_at", d(&f.occurred_at)),
        ("detected_at", d(&f.detected_at)),
        ("reporter_kind", f.reporter_kind.code().into()),
        ("reporter_name", o(&f.reporter_name)),
        ("reporter_tax_code", o(&f.reporter_tax_code)),
        ("reporter_phone", o(&f.reporter_phone)),
        ("reporter_email", o(&f.reporter_email)),
        ("reporter_address", o(&f.reporter_address)),
        ("reporter_national_id", o(&f.reporter_national_id)),
        ("reporter_is_victim", f.reporter_is_victim.to_string()),
        ("victims", o(&f.victims)),
        ("affected_system", o(&f.affected_system)),
        (
            "system_security_level",
            f.system_security_level
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ("operating_unit", o(&f.operating_unit)),
        ("owner_agency", o(&f.owner_agency)),
        ("detection_method", o(&f.detection_method)),
        (
            "incident_state",
            f.incident_state
                .map(|s| s.code().to_owned())
                .unwrap_or_default(),
        ),
        ("ips_domains", o(&f.ips_domains)),
    ]
}

fn fields_of(c: &Case) -> CaseFields {
    CaseFields {
        category_id: c.category_id,
        subcategory_id: c.subcategory_id,
        title: c.title.clone(),
        description: c.description.clone(),
        severity: c.severity,
        tlp: c.tlp,
        confidential_reporter: c.confidential_reporter,
        team: c.team.clone(),
        received_at: c.received_at,
        occurred_at: c.occurred_at,
        detected_at: c.detected_at,
        reporter_kind: c.reporter_kind,
        reporter_name: c.reporter_name.clone(),
        reporter_tax_code: c.reporter_tax_code.clone(),
        reporter_phone: c.reporter_phone.clone(),
        reporter_email: c.reporter_email.clone(),
        reporter_address: c.reporter_address.clone(),
        reporter_national_id: c.reporter_national_id.clone(),
        reporter_is_victim: c.reporter_is_victim,
        victims: c.victims.clone(),
        affected_system: c.affected_system.clone(),
        system_security_level: c.system_security_level,
        operating_unit: c.operating_unit.clone(),
        owner_agency: c.owner_agency.clone(),
        detection_method: c.detection_method.clone(),
        incident_state: c.incident_state,
        ips_domains: c.ips_domains.clone(),
    }
}

/// Saves an edit if nobody saved since the form was loaded (`version`), recording
/// each changed field with its old and new value.
pub fn update(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    cfg: &Config,
    reference: &str,
    form: &CaseForm,
) -> Result<Case, AppError> {
    let categories = category::all(conn)?;
    let now = Utc::now();
    conn.transaction(|conn| {
        let (c, watching) = load_visible(conn, me, reference, true)?;
        if !policy::can_work_case(me, &c, watching) || c.status == Status::Merged {
            return Err(AppError::Forbidden);
        }
        let mut with_fixed = form.clone();
        // Type and channel are fixed at intake (the reference carries the type).
        with_fixed
            .fields
            .insert("case_type".into(), c.case_type.code().into());
        with_fixed
            .fields
            .insert("channel".into(), c.channel.code().into());
        let v = validate(&with_fixed, &categories, me.tz(cfg.time_zone), now)
            .map_err(AppError::Form)?;
        if form.get("version").trim().parse::<i32>().ok() != Some(c.version) {
            let mut e = FormErrors::default();
            e.add("version", k("case-conflict"));
            return Err(AppError::Form(e));
        }
        let before = field_values(&fields_of(&c), me.tz(cfg.time_zone));
        let after = field_values(&v.fields, me.tz(cfg.time_zone));
        let mut events: Vec<NewEvent> = before
            .iter()
            .zip(after.iter())
            .filter(|(b, a)| b.1 != a.1)
            .map(|(b, a)| {
                // SECURITY: the reporter's personal data is shown only on a logged
                // request, so its history records that it changed, not the values.
                let personal = b.0.starts_with("reporter_")
                    && b.0 != "reporter_kind"
                    && b.0 != "reporter_is_victim";
                let shown = |v: &String| if personal { String::new() } else { v.clone() };
                NewEvent {
                    field: Some(b.0.into()),
                    old_value: Some(shown(&b.1)),
                    new_value: Some(shown(&a.1)),
                    ..event(&c, me, EventKind::Field)
                }
            })
            .collect();
        // An anonymised case's reporter stays anonymous (`docs/domain.md` §19).
        if c.anonymised_at.is_some()
            && events.iter().any(|e| {
                e.field.as_deref().is_some_and(|f| {
                    f.starts_with("reporter_") && f != "reporter_kind" && f != "reporter_is_victim"
                })
            })
        {
            return Err(AppError::Invalid(k("case-anonymised-edit")));
        }
        let old_txs = case::transactions(conn, c.id)?;
        let txs_changed = old_txs != v.txs;
        identifiers::sync_case(
            conn,
            &case_report(&c, &v.fields),
            &v.txs,
            v.fields.reporter_phone.as_deref(),
            me.id,
        )?;
        if txs_changed {
            case::replace_transactions(conn, c.id, &v.txs)?;
            events.push(NewEvent {
                field: Some("transactions".into()),
                old_value: Some(fmt_vnd(total(&old_txs))),
                new_value: Some(fmt_vnd(total(&v.txs))),
                ..event(&c, me, EventKind::Field)
            });
        }
        if events.is_empty() {
            return Ok(c);
        }
        let updated = case::update_fields(
            conn,
            c.id,
            &v.fields,
            total(&v.txs),
            &search_extra(&v.fields, &v.txs),
            me.id,
        )?;
        if updated.received_at != c.received_at {
            // The basis is the one in force on the corrected day.
            let day = updated
                .received_at
                .with_timezone(&me.tz(cfg.time_zone))
                .date_naive();
            let basis = match crate::domain::law::topic_of(updated.case_type) {
                Some(topic) => crate::models::legal_basis::id_on(conn, topic, day)?,
                None => None,
            };
            case::set_legal_basis(conn, c.id, basis)?;
        }
        let changed: Vec<String> = events.iter().filter_map(|e| e.field.clone()).collect();
        case_event::insert(conn, &events)?;
        audit_row(
            conn,
            me,
            meta,
            "case_update",
            &updated,
            json!({ "changed": changed }),
        )?;
        Ok(updated)
    })
}
