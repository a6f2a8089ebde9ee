//! Account administration: create, edit, deactivate, reset passwords, and one's
//! own language preference. Every change writes an audit row in its transaction.

use chrono::Utc;
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{
    password,
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::domain::form::{optional_text, required_text, FormErrors};
use crate::domain::value::looks_like_email;
use crate::error::AppError;
use crate::i18n::{k, Lang};
use crate::models::user::ReportNotice;
use crate::models::{
    audit::{self, NewAudit},
    session,
    user::{self, NewUser, Role, User, UserChanges},
};
use crate::services::notify::Event;

/// Lower-cased, trimmed e-mail: the form stored and looked up.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// What the admin form (or the CLI) sends for a user.
#[derive(Clone, Debug, Default)]
pub struct UserInput {
    pub email: String,
    pub full_name: String,
    pub role: String,
    pub team: String,
    pub on_duty: bool,
    pub lang: String,
    /// The unit's code; empty: the administrator's own unit (on the command
    /// line, the first unit).
    pub unit: String,
    /// A service account (a bank's or the ministry's system): no password,
    /// API tokens only (`docs/domain.md` §15).
    pub service: bool,
}

struct ValidUser {
    email: String,
    full_name: String,
    role: Role,
    team: Option<String>,
    lang: Lang,
}

fn validate(input: &UserInput) -> Result<ValidUser, AppError> {
    let mut errors = FormErrors::default();
    let email = normalise_email(&input.email);
    if email.is_empty() {
        errors.add("email", k("field-required"));
    } else if !looks_like_email(&email) {
        errors.add("email", k("email-invalid"));
    }
    let full_name = required_text(&mut errors, "full_name", &input.full_name, 120);
    let team = optional_text(&mut errors, "team", &input.team, 80);
    let role = input.role.parse::<Role>();
    if role.is_err() {
        errors.add("role", k("role-invalid"));
    }
    let lang = input.lang.parse::<Lang>();
    if lang.is_err() {
        errors.add("lang", k("lang-invalid"));
    }
    match (errors.into_result(), role, lang) {
        (Ok(()), Ok(role), Ok(lang)) => Ok(ValidUser {
            email,
            full_name,
            role,
            team,
            lang,
        }),
        (Err(e), ..) => Err(AppError::Form(e)),
        _ => Err(AppError::BadRequest),
    }
}

/// The unit `input` names: an active unit, else a form error on `unit`.
fn unit_of(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    input: &UserInput,
) -> Result<i32, AppError> {
    if input.unit.trim().is_empty() {
        return match actor {
            Some(a) => Ok(a.unit_id),
            None => Ok(crate::models::unit::first_active(conn)?),
        };
    }
    match crate::models::unit::find_active(conn, &input.unit)? {
        Some(u) => Ok(u.id),
        None => {
            let mut errors = FormErrors::default();
            errors.add("unit", k("unit-unknown"));
            Err(AppError::Form(errors))
        }
    }
}

fn email_taken() -> AppError {
    let mut errors = FormErrors::default();
    errors.add("email", k("email-taken"));
    AppError::Form(errors)
}

/// Creates an account. Without `chosen_password` a strong one is generated,
/// returned once, and must be changed at first sign-in. `actor` is `None` for the
/// command line.
pub fn create(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    input: &UserInput,
    chosen_password: Option<&str>,
) -> Result<(User, Option<String>), AppError> {
    if let Some(a) = actor {
        policy::require(a, Action::ManageUsers)?;
    }
    let v = validate(input)?;
    if input.service {
        return create_service(conn, actor, meta, input, v);
    }
    let (pass, generated) = match chosen_password {
        Some(p) => {
            if let Err(key) = password::check_new(p, &v.email) {
                let mut errors = FormErrors::default();
                errors.add("password", key);
                return Err(AppError::Form(errors));
            }
            (p.to_owned(), None)
        }
        None => {
            let p = password::generate();
            (p.clone(), Some(p))
        }
    };
    let hash = password::hash(&pass).map_err(AppError::internal)?;
    let must_change = generated.is_some();
    let created = insert_account(conn, actor, meta, input, &v, (&hash, must_change, false))?;
    Ok((created, generated))
}

/// A service account has no password at all (the stored hash is not a hash,
/// so no password ever matches) and is never an administrator: its tokens
/// act as it, and an administrator's work is not done through the API.
fn create_service(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    input: &UserInput,
    v: ValidUser,
) -> Result<(User, Option<String>), AppError> {
    if v.role == Role::Admin {
        let mut errors = FormErrors::default();
        errors.add("role", k("service-account-admin"));
        return Err(AppError::Form(errors));
    }
    let created = insert_account(
        conn,
        actor,
        meta,
        input,
        &v,
        (password::NO_PASSWORD, false, true),
    )?;
    Ok((created, None))
}

/// The account row and its audit row, in one transaction; an e-mail in use
/// is a form error. `(hash, must_change_password, service)`.
fn insert_account(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    input: &UserInput,
    v: &ValidUser,
    (hash, must_change, service): (&str, bool, bool),
) -> Result<User, AppError> {
    conn.transaction(|conn| {
        if user::find_by_email(conn, &v.email)?.is_some() {
            return Err(email_taken());
        }
        let unit_id = unit_of(conn, actor, input)?;
        let created = user::insert(
            conn,
            &NewUser {
                email: &v.email,
                full_name: &v.full_name,
                role: v.role,
                team: v.team.as_deref(),
                // A service account is never on duty.
                on_duty: input.on_duty && !service,
                lang: v.lang.code(),
                must_change_password: must_change,
                password_hash: hash,
                unit_id,
                service,
            },
        )
        .map_err(unique_to_taken)?;
        let mut detail =
            json!({ "role": v.role.code(), "via": if actor.is_some() { "web" } else { "cli" } });
        if service {
            detail["service"] = json!(true);
        }
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: actor.map(|a| a.id),
                action: "user_create",
                target_type: Some("user"),
                target_id: Some(created.id.to_string()),
                detail,
            },
        )?;
        Ok(created)
    })
}

fn unique_to_taken(e: diesel::result::Error) -> AppError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => email_taken(),
        other => other.into(),
    }
}

/// Edits an account. An administrator cannot demote or deactivate the last active
/// administrator (that would lock everyone out of user management).
pub fn update(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    input: &UserInput,
    active: bool,
) -> Result<User, AppError> {
    policy::require(actor, Action::ManageUsers)?;
    let v = validate(input)?;
    conn.transaction(|conn| {
        let before = user::find_for_update(conn, id)?;
        let stays_admin = v.role == Role::Admin && active;
        if before.role == Role::Admin
            && before.active
            && !stays_admin
            && user::count_other_active_admins(conn, id)? == 0
        {
            return Err(AppError::Invalid(k("user-last-admin")));
        }
        if before.email != v.email && user::find_by_email(conn, &v.email)?.is_some() {
            return Err(email_taken());
        }
        let unit_id = if input.unit.trim().is_empty() {
            before.unit_id
        } else {
            unit_of(conn, Some(actor), input)?
        };
        let after = user::update(
            conn,
            id,
            &UserChanges {
                email: Some(v.email.clone()),
                full_name: Some(v.full_name.clone()),
                role: Some(v.role),
                team: Some(v.team.clone()),
                on_duty: Some(input.on_duty),
                lang: Some(v.lang.code().to_owned()),
                active: Some(active),
                unit_id: Some(unit_id),
                updated_at: Some(Utc::now()),
                ..Default::default()
            },
        )
        .map_err(unique_to_taken)?;
        let changed = changed_fields(&before, &after);
        if !after.active || before.role != after.role || before.unit_id != after.unit_id {
            // Deactivation ends sessions at once; a role change re-checks on next sign-in.
            session::delete_for_user(conn, id, None)?;
        }
        let action = match (before.active, after.active) {
            (true, false) => "user_deactivate",
            (false, true) => "user_activate",
            _ => "user_update",
        };
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(actor.id),
                action,
                target_type: Some("user"),
                target_id: Some(id.to_string()),
                detail: json!({ "changed": changed }),
            },
        )?;
        Ok(after)
    })
}

fn changed_fields(a: &User, b: &User) -> Vec<&'static str> {
    let mut out = Vec::new();
    let pairs: [(&'static str, bool); 8] = [
        ("email", a.email != b.email),
        ("full_name", a.full_name != b.full_name),
        ("role", a.role != b.role),
        ("team", a.team != b.team),
        ("on_duty", a.on_duty != b.on_duty),
        ("lang", a.lang != b.lang),
        ("active", a.active != b.active),
        ("unit", a.unit_id != b.unit_id),
    ];
    for (name, changed) in pairs {
        if changed {
            out.push(name);
        }
    }
    out
}

/// Deactivates (sessions end at once) or reactivates an account. Nobody can
/// deactivate themselves.
pub fn set_active(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    active: bool,
) -> Result<User, AppError> {
    policy::require(actor, Action::ManageUsers)?;
    if id == actor.id && !active {
        return Err(AppError::Invalid(k("user-cannot-deactivate-self")));
    }
    let u = user::find(conn, id)?;
    let input = UserInput {
        email: u.email,
        full_name: u.full_name,
        role: u.role.code().into(),
        team: u.team.unwrap_or_default(),
        on_duty: u.on_duty,
        // Empty keeps the unit.
        unit: String::new(),
        lang: u.lang,
        service: u.service,
    };
    update(conn, actor, meta, id, &input, active)
}

/// Sets a new generated password (shown once to the admin), forces a change at
/// next sign-in, and ends the user's sessions.
pub fn reset_password(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
) -> Result<(User, String), AppError> {
    policy::require(actor, Action::ManageUsers)?;
    let pass = password::generate();
    let hash = password::hash(&pass).map_err(AppError::internal)?;
    conn.transaction(|conn| {
        if user::find_for_update(conn, id)?.service {
            return Err(AppError::Invalid(k("service-account-no-password")));
        }
        let now = Utc::now();
        let u = user::update(
            conn,
            id,
            &UserChanges {
                password_hash: Some(hash),
                must_change_password: Some(true),
                password_changed_at: Some(now),
                updated_at: Some(now),
                ..Default::default()
            },
        )?;
        session::delete_for_user(conn, id, None)?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(actor.id),
                action: "user_password_reset",
                target_type: Some("user"),
                target_id: Some(id.to_string()),
                detail: json!({}),
            },
        )?;
        Ok((u, pass))
    })
}

/// Changes one's own interface language.
pub fn set_language(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    lang: Lang,
) -> Result<(), AppError> {
    if me.lang == lang {
        return Ok(());
    }
    conn.transaction(|conn| {
        user::update(
            conn,
            me.id,
            &UserChanges {
                lang: Some(lang.code().to_owned()),
                updated_at: Some(Utc::now()),
                ..Default::default()
            },
        )?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: "profile_language",
                target_type: Some("user"),
                target_id: Some(me.id.to_string()),
                detail: json!({ "lang": lang.code() }),
            },
        )?;
        Ok(())
    })
}

/// One's mail settings as the profile shows them.
pub struct MailPrefs {
    /// The optional mail events and whether each is received.
    pub events: Vec<(Event, bool)>,
    /// How new public reports are heard of, and whether that is the role's
    /// default (not chosen). None for admins, who get no report mail.
    pub report_notice: Option<(ReportNotice, bool)>,
}

pub fn mail_prefs(conn: &mut PgConnection, user_id: i64) -> Result<MailPrefs, AppError> {
    let u = user::find(conn, user_id)?;
    let events = Event::OPTIONAL
        .iter()
        .map(|e| (*e, !u.mail_off.iter().any(|x| x == e.code())))
        .collect();
    let report_notice = (u.role != Role::Admin).then(|| match u.report_notice {
        Some(n) => (n, false),
        None => (ReportNotice::default_for(u.role), true),
    });
    Ok(MailPrefs {
        events,
        report_notice,
    })
}

/// Sets which optional mail events one receives (`on`; the others are off)
/// and, when given, how one hears of new reports (`report_notice`: a code,
/// or "default" for the role's). Assignment mails cannot be switched off.
pub fn set_mail_prefs(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    on: &[Event],
    report_notice: Option<&str>,
) -> Result<(), AppError> {
    let off: Vec<String> = Event::OPTIONAL
        .iter()
        .filter(|e| !on.contains(e))
        .map(|e| e.code().to_owned())
        .collect();
    let notice: Option<Option<ReportNotice>> = match report_notice {
        None => None,
        Some("default") => Some(None),
        Some(code) => match code.parse::<ReportNotice>() {
            Ok(n) => Some(Some(n)),
            Err(()) => return Err(AppError::Invalid(k("report-notice-invalid"))),
        },
    };
    conn.transaction(|conn| {
        user::update(
            conn,
            me.id,
            &UserChanges {
                mail_off: Some(off.clone()),
                report_notice: notice,
                updated_at: Some(Utc::now()),
                ..Default::default()
            },
        )?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: "profile_mail_prefs",
                target_type: Some("user"),
                target_id: Some(me.id.to_string()),
                detail: json!({
                    "off": off,
                    "report_notice": notice.map(|n| n.map_or("default", |n| n.code())),
                }),
            },
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_checks() {
        assert!(looks_like_email("lan.nguyen@pa05.cand.gov.vn"));
        assert!(!looks_like_email("lan"));
        assert!(!looks_like_email("lan@localhost"));
        assert!(!looks_like_email("a b@x.vn"));
        assert!(!looks_like_email("a@@x.vn"));
        assert!(!looks_like_email("<a>@x.vn"));
        assert_eq!(normalise_email("  Lan@PA05.VN "), "lan@pa05.vn");
    }
}
