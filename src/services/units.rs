//! Police units: the records an administrator keeps (`/admin/units`,
//! `cyberdesk unit`), the name a record prints for its date, and the first
//! unit taking its name and prefix from the settings.

use chrono::{NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{policy, CurrentUser, RequestMeta};
use crate::config::Config;
use crate::domain::form::{optional_text, parse_day, required_text, FormErrors};
use crate::domain::unit::{name_on, valid_code, valid_prefix, NameFrom, UnitKind};
use crate::error::AppError;
use crate::i18n::k;
use crate::models::audit::{self, NewAudit};
use crate::models::unit::{self, NewUnit, Unit, UnitChanges};

/// The unit whose intake receives public reports: the first active unit, until
/// reports are routed by the reporter's province and ward.
pub fn public_intake(conn: &mut PgConnection) -> Result<i32, AppError> {
    Ok(unit::first_active(conn)?)
}

/// On the first start after units came in, the first unit takes its prefix
/// and name from `REF_PREFIX` and `UNIT_NAME`; from then on only the unit
/// record counts. Returns whether it did.
pub fn adopt_settings(conn: &mut PgConnection, cfg: &Config) -> Result<bool, AppError> {
    conn.transaction(|conn| {
        let Some(u) = unit::pending_settings(conn)? else {
            return Ok(false);
        };
        unit::update(
            conn,
            u.id,
            &UnitChanges {
                code: (u.code == u.ref_prefix).then(|| cfg.ref_prefix.clone()),
                ref_prefix: Some(cfg.ref_prefix.clone()),
                from_settings: Some(false),
                updated_at: Some(Utc::now()),
                ..Default::default()
            },
        )?;
        // The name the records so far carry stays theirs; the setting's name
        // is the current one.
        let mut names = unit::names(conn, u.id)?;
        let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
        if names.iter().all(|n| n.name_vi == cfg.unit_name) || names.is_empty() {
            unit::reset_names(
                conn,
                u.id,
                &NameFrom {
                    valid_from: first,
                    name_vi: cfg.unit_name.clone(),
                    name_en: cfg.unit_name.clone(),
                },
            )?;
        } else if let Some(last) = names.pop() {
            if last.name_vi != cfg.unit_name {
                unit::set_name(
                    conn,
                    u.id,
                    &NameFrom {
                        valid_from: Utc::now().date_naive(),
                        name_vi: cfg.unit_name.clone(),
                        name_en: cfg.unit_name.clone(),
                    },
                )?;
            }
        }
        audit::append(
            conn,
            &RequestMeta::default(),
            NewAudit {
                actor_id: None,
                action: "unit_from_settings",
                target_type: Some("unit"),
                target_id: Some(u.id.to_string()),
                detail: json!({ "ref_prefix": cfg.ref_prefix }),
            },
        )?;
        Ok(true)
    })
}

/// A unit as typed in the admin form or on the command line.
#[derive(Clone, Debug, Default)]
pub struct UnitInput {
    pub code: String,
    pub kind: String,
    pub parent: String,
    pub ref_prefix: String,
    pub time_zone: String,
    pub contact: String,
    pub name_vi: String,
    pub name_en: String,
    /// The day the name starts (dd/mm/yyyy or yyyy-mm-dd); empty: today, or
    /// for a new unit, always.
    pub name_from: String,
    pub active: bool,
}

struct Valid {
    code: String,
    kind: UnitKind,
    parent_id: Option<i32>,
    ref_prefix: String,
    time_zone: String,
    contact: String,
    name: Option<NameFrom>,
}

fn validate(
    conn: &mut PgConnection,
    input: &UnitInput,
    editing: Option<&Unit>,
) -> Result<Valid, AppError> {
    let mut e = FormErrors::default();
    let code = input.code.trim().to_uppercase();
    if !valid_code(&code) {
        e.add("code", k("unit-code-invalid"));
    }
    let ref_prefix = input.ref_prefix.trim().to_uppercase();
    if !valid_prefix(&ref_prefix) {
        e.add("ref_prefix", k("unit-prefix-invalid"));
    }
    let kind = match input.kind.parse::<UnitKind>() {
        Ok(kd) => Some(kd),
        Err(()) => {
            e.add("kind", k("field-invalid-choice"));
            None
        }
    };
    let parent_id = match input.parent.trim() {
        "" => None,
        p => match unit::find_by_code(conn, p)? {
            Some(u) if Some(u.id) == editing.map(|x| x.id) => {
                e.add("parent", k("unit-parent-self"));
                None
            }
            Some(u) => Some(u.id),
            None => {
                e.add("parent", k("unit-parent-unknown"));
                None
            }
        },
    };
    let time_zone = match input.time_zone.trim() {
        "" => "Asia/Ho_Chi_Minh".to_owned(),
        tz if tz.parse::<chrono_tz::Tz>().is_ok() => tz.to_owned(),
        _ => {
            e.add("time_zone", k("unit-tz-invalid"));
            String::new()
        }
    };
    let contact = optional_text(&mut e, "contact", &input.contact, 300).unwrap_or_default();
    let name_vi = input.name_vi.trim();
    let name_en = input.name_en.trim();
    // A new unit needs its name; an edit may leave the name as it is.
    let name = if editing.is_none() || !name_vi.is_empty() || !name_en.is_empty() {
        let name_vi = required_text(&mut e, "name_vi", name_vi, 200);
        let name_en = match optional_text(&mut e, "name_en", name_en, 200) {
            Some(n) => n,
            None => name_vi.clone(),
        };
        let valid_from = match input.name_from.trim() {
            "" if editing.is_none() => NaiveDate::from_ymd_opt(1900, 1, 1),
            "" => Some(Utc::now().date_naive()),
            d => match parse_day(d) {
                Some(day) => Some(day),
                None => {
                    e.add("name_from", k("date-invalid"));
                    None
                }
            },
        };
        valid_from.map(|valid_from| NameFrom {
            valid_from,
            name_vi,
            name_en,
        })
    } else {
        None
    };
    if e.is_empty() {
        let (code_taken, prefix_taken) =
            unit::taken(conn, &code, &ref_prefix, editing.map(|u| u.id))?;
        if code_taken {
            e.add("code", k("unit-code-taken"));
        }
        if prefix_taken {
            e.add("ref_prefix", k("unit-prefix-taken"));
        }
    }
    match (e.is_empty(), kind) {
        (true, Some(kind)) => Ok(Valid {
            code,
            kind,
            parent_id,
            ref_prefix,
            time_zone,
            contact,
            name,
        }),
        _ => Err(AppError::Form(e)),
    }
}

fn log(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    action: &'static str,
    u: &Unit,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: actor.map(|a| a.id),
            action,
            target_type: Some("unit"),
            target_id: Some(u.id.to_string()),
            detail,
        },
    )?;
    Ok(())
}

fn require_admin(actor: Option<&CurrentUser>) -> Result<(), AppError> {
    match actor {
        Some(a) => policy::require(a, policy::Action::ManageUnits),
        // The command line is the operator's own.
        None => Ok(()),
    }
}

/// Adds a unit (`actor` None: from the command line).
pub fn create(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    input: &UnitInput,
) -> Result<Unit, AppError> {
    require_admin(actor)?;
    conn.transaction(|conn| {
        let v = validate(conn, input, None)?;
        let u = unit::insert(
            conn,
            &NewUnit {
                code: &v.code,
                kind: v.kind,
                parent_id: v.parent_id,
                ref_prefix: &v.ref_prefix,
                time_zone: &v.time_zone,
                contact: &v.contact,
            },
        )?;
        if let Some(n) = &v.name {
            unit::set_name(conn, u.id, n)?;
        }
        log(
            conn,
            actor,
            meta,
            "unit_create",
            &u,
            json!({ "code": u.code, "ref_prefix": u.ref_prefix, "kind": u.kind.code() }),
        )?;
        Ok(u)
    })
}

/// Changes a unit; a name given starts on its date (a new entry of the name
/// history; the same date replaces that entry).
pub fn update(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    id: i32,
    input: &UnitInput,
) -> Result<Unit, AppError> {
    require_admin(actor)?;
    conn.transaction(|conn| {
        let before = unit::find(conn, id)?;
        let v = validate(conn, input, Some(&before))?;
        let u = unit::update(
            conn,
            id,
            &UnitChanges {
                code: Some(v.code),
                kind: Some(v.kind),
                parent_id: Some(v.parent_id),
                ref_prefix: Some(v.ref_prefix),
                time_zone: Some(v.time_zone),
                contact: Some(v.contact),
                active: Some(input.active),
                updated_at: Some(Utc::now()),
                ..Default::default()
            },
        )?;
        if let Some(n) = &v.name {
            unit::set_name(conn, id, n)?;
        }
        log(
            conn,
            actor,
            meta,
            "unit_update",
            &u,
            json!({
                "code": [before.code, u.code],
                "ref_prefix": [before.ref_prefix, u.ref_prefix],
                "active": [before.active, u.active],
                "name_from": v.name.as_ref().map(|n| n.valid_from.to_string()),
            }),
        )?;
        Ok(u)
    })
}

/// A unit with its names, for the admin list and page.
pub struct UnitView {
    pub unit: Unit,
    pub names: Vec<NameFrom>,
    pub parent_code: Option<String>,
}

impl UnitView {
    pub fn current(&self) -> Option<&NameFrom> {
        name_on(&self.names, Utc::now().date_naive())
    }
}

pub fn list(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
) -> Result<Vec<UnitView>, AppError> {
    require_admin(actor)?;
    let all = unit::all(conn)?;
    let mut out = Vec::with_capacity(all.len());
    for u in &all {
        let names = unit::names(conn, u.id)?;
        let parent_code = u
            .parent_id
            .and_then(|p| all.iter().find(|x| x.id == p))
            .map(|p| p.code.clone());
        out.push(UnitView {
            unit: u.clone(),
            names,
            parent_code,
        });
    }
    Ok(out)
}

pub fn view(conn: &mut PgConnection, actor: &CurrentUser, id: i32) -> Result<UnitView, AppError> {
    require_admin(Some(actor))?;
    let u = unit::find(conn, id)?;
    let parent_code = match u.parent_id {
        Some(p) => Some(unit::find(conn, p)?.code),
        None => None,
    };
    Ok(UnitView {
        names: unit::names(conn, id)?,
        unit: u,
        parent_code,
    })
}

/// The unit a code names, for `user add --unit CODE` and the user form.
pub fn by_code(conn: &mut PgConnection, code: &str) -> Result<Option<Unit>, AppError> {
    Ok(unit::find_by_code(conn, code)?)
}

/// The routing rules of public reports, as the admin page lists them.
pub struct Routes {
    /// (code, Vietnamese name, English name).
    pub provinces: Vec<(String, String, String)>,
    /// (province code, ward key, ward as typed, unit code).
    pub rules: Vec<(String, String, String, String)>,
}

pub fn routes(conn: &mut PgConnection, actor: &CurrentUser) -> Result<Routes, AppError> {
    require_admin(Some(actor))?;
    let all = unit::all(conn)?;
    let rules = crate::models::report_route::all(conn)?
        .into_iter()
        .map(|(p, key, ward, unit_id)| {
            let code = all
                .iter()
                .find(|u| u.id == unit_id)
                .map(|u| u.code.clone())
                .unwrap_or_default();
            (p, key, ward, code)
        })
        .collect();
    Ok(Routes {
        provinces: crate::models::report_route::provinces(conn)?,
        rules,
    })
}

/// Sends reports from `province` (and `ward`, if given) to the unit `unit_code`.
pub fn set_route(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    meta: &RequestMeta,
    province: &str,
    ward: &str,
    unit_code: &str,
) -> Result<(), AppError> {
    require_admin(Some(actor))?;
    conn.transaction(|conn| {
        let province = province.trim();
        if !crate::models::report_route::provinces(conn)?
            .iter()
            .any(|(code, _, _)| code == province)
        {
            return Err(AppError::Invalid(k("route-province-unknown")));
        }
        let ward = ward.trim();
        if ward.chars().count() > 100 {
            return Err(AppError::Invalid(k("field-too-long")));
        }
        let Some(u) = unit::find_active(conn, unit_code)? else {
            return Err(AppError::Invalid(k("unit-unknown")));
        };
        let key = crate::domain::unit::ward_key(ward);
        crate::models::report_route::set(conn, province, (&key, ward), u.id)?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(actor.id),
                action: "report_route_set",
                target_type: Some("unit"),
                target_id: Some(u.id.to_string()),
                detail: json!({ "province": province, "ward": key }),
            },
        )?;
        Ok(())
    })
}

pub fn remove_route(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    meta: &RequestMeta,
    province: &str,
    ward_key: &str,
) -> Result<(), AppError> {
    require_admin(Some(actor))?;
    conn.transaction(|conn| {
        if crate::models::report_route::remove(conn, province, ward_key)? == 0 {
            return Err(AppError::NotFound);
        }
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(actor.id),
                action: "report_route_remove",
                target_type: None,
                target_id: None,
                detail: json!({ "province": province, "ward": ward_key }),
            },
        )?;
        Ok(())
    })
}

/// A unit's current (Vietnamese) name.
pub fn name_now(conn: &mut PgConnection, id: i32) -> Result<String, AppError> {
    Ok(crate::models::unit::name_now(conn, id)?)
}
