//! The second factor (`docs/domain.md` §16): setting it up, signing in with
//! it, new recovery codes, turning it off, an administrator's reset, and the
//! sessions a person or an administrator sees and ends.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::auth::{
    hash_token,
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::config::Config;
use crate::domain::form::FormErrors;
use crate::domain::second_factor as sf;
use crate::domain::token::random_token;
use crate::error::AppError;
use crate::i18n::{k, Lang, MsgKey};
use crate::models::{
    audit::{self, NewAudit},
    login_attempt::{self, Outcome},
    recovery_code,
    session::{self, Session, Stage},
    user,
};
use crate::services::auth::{lock_email, open_session, record_failure};

/// What the set-up page shows while the second factor is not on yet.
pub struct Enrolment {
    pub secret_text: String,
    pub qr_svg: String,
}

/// The second factor of an account, as its page shows it.
pub struct Status {
    pub enabled_at: Option<DateTime<Utc>>,
    pub codes_left: i64,
    /// Their role must have one (`REQUIRE_2FA_FOR`): it cannot be turned off.
    pub required: bool,
    /// Set-up details, while it is not on.
    pub enrolment: Option<Enrolment>,
}

fn unix(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

fn code_error(key: MsgKey) -> AppError {
    let mut e = FormErrors::default();
    e.add("code", key);
    AppError::Form(e)
}

fn audit_user(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    actor: Option<i64>,
    action: &'static str,
    user_id: i64,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: actor,
            action,
            target_type: Some("user"),
            target_id: Some(user_id.to_string()),
            detail,
        },
    )?;
    Ok(())
}

/// The account's second factor; while it is off, a secret to set it up with
/// (kept from one visit to the next until confirmed, so a reload does not
/// invalidate what the phone scanned).
pub fn status(conn: &mut PgConnection, cfg: &Config, me: &CurrentUser) -> Result<Status, AppError> {
    let u = user::find(conn, me.id)?;
    let required = cfg.require_2fa_for.contains(&u.role);
    if u.totp_enabled_at.is_some() {
        return Ok(Status {
            enabled_at: u.totp_enabled_at,
            codes_left: recovery_code::unused(conn, me.id)?,
            required,
            enrolment: None,
        });
    }
    let secret = match u.totp_secret {
        Some(s) if s.len() == sf::SECRET_BYTES => s,
        _ => {
            let s = sf::new_secret();
            user::set_pending_totp(conn, me.id, &s)?;
            s
        }
    };
    // A short issuer keeps the QR code coarse enough to scan from a screen.
    let url = sf::otpauth_url(&secret, &format!("cyberdesk {}", cfg.ref_prefix), &u.email);
    Ok(Status {
        enabled_at: None,
        codes_left: 0,
        required,
        enrolment: Some(Enrolment {
            secret_text: sf::secret_text(&secret),
            qr_svg: sf::qr_svg(&url),
        }),
    })
}

/// The account's step and secret, locked, if `code` is a valid unused code
/// for it now.
fn check_code(conn: &mut PgConnection, user_id: i64, code: &str) -> Result<Option<i64>, AppError> {
    let u = user::find_for_update(conn, user_id)?;
    let Some(secret) = u.totp_secret else {
        return Ok(None);
    };
    let last = u64::try_from(u.totp_last_step).unwrap_or(0);
    Ok(sf::matching_step(&secret, code, unix(Utc::now()), last)
        .and_then(|step| i64::try_from(step).ok()))
}

/// New recovery codes (the old ones stop working); the codes, to show once.
fn new_codes(conn: &mut PgConnection, user_id: i64) -> Result<Vec<String>, AppError> {
    let codes = sf::new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| sf::recovery_hash(c)).collect();
    recovery_code::replace(conn, user_id, &hashes)?;
    Ok(codes)
}

/// Turns the second factor on when `code` matches the secret being set up;
/// returns the recovery codes to show once, and a new session token when
/// this completes a sign-in that had to enrol (the session is rotated).
pub fn confirm(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    code: &str,
) -> Result<(Vec<String>, Option<String>), AppError> {
    conn.transaction(|conn| {
        if user::find_for_update(conn, me.id)?
            .totp_enabled_at
            .is_some()
        {
            return Err(AppError::Invalid(k("second-factor-already-on")));
        }
        let Some(step) = check_code(conn, me.id, code)? else {
            return Err(code_error(k("second-factor-code-wrong")));
        };
        user::enable_totp(conn, me.id, Utc::now(), step)?;
        let codes = new_codes(conn, me.id)?;
        // Every other session signed in without it ends.
        session::delete_for_user(conn, me.id, Some(me.session_id))?;
        let token = if me.stage == Stage::Enrol {
            let token = random_token(32);
            session::promote(conn, me.session_id, &hash_token(&token))?;
            Some(token)
        } else {
            None
        };
        audit_user(
            conn,
            meta,
            Some(me.id),
            "second_factor_on",
            me.id,
            json!({}),
        )?;
        Ok((codes, token))
    })
}

/// What the second step of a sign-in came to.
pub enum SecondStep {
    /// Signed in: the new session's token (the half-open one is gone).
    SignedIn {
        token: String,
        lang: Lang,
    },
    Wrong,
    /// Locked out (too many failures, by password or code): nothing checked.
    Throttled,
}

/// The second step of a sign-in: a TOTP code (each once) or an unused
/// recovery code. Failures count toward the lock-out like wrong passwords.
pub fn sign_in(
    conn: &mut PgConnection,
    cfg: &Config,
    me: &CurrentUser,
    meta: &RequestMeta,
    code: &str,
) -> Result<SecondStep, AppError> {
    conn.transaction(|conn| {
        lock_email(conn, &me.email)?;
        let now = Utc::now();
        if login_attempt::locked_until(conn, &me.email)?.is_some_and(|until| until > now) {
            login_attempt::record(conn, &me.email, &meta.ip, Outcome::Locked)?;
            return Ok(SecondStep::Throttled);
        }
        let method = match check_code(conn, me.id, code)? {
            Some(step) if user::use_totp_step(conn, me.id, step)? == 1 => Some("totp"),
            _ if recovery_code::use_code(conn, me.id, &sf::recovery_hash(code), now)? => {
                Some("recovery_code")
            }
            _ => None,
        };
        let Some(method) = method else {
            record_failure(conn, meta, &me.email, Some(me.id), "second_factor")?;
            return Ok(SecondStep::Wrong);
        };
        session::delete(conn, me.session_id)?;
        let u = user::find(conn, me.id)?;
        let token = open_session(conn, cfg, meta, me.id, Stage::Full)?;
        login_attempt::record(conn, &me.email, &meta.ip, Outcome::Success)?;
        let left = recovery_code::unused(conn, me.id)?;
        audit_user(
            conn,
            meta,
            Some(me.id),
            "login",
            me.id,
            json!({ "second_factor": method, "recovery_codes_left": left }),
        )?;
        Ok(SecondStep::SignedIn {
            token,
            lang: u.lang.parse().unwrap_or_default(),
        })
    })
}

/// New recovery codes, confirmed with a current code.
pub fn regenerate(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    code: &str,
) -> Result<Vec<String>, AppError> {
    conn.transaction(|conn| {
        match check_code(conn, me.id, code)? {
            Some(step) if user::use_totp_step(conn, me.id, step)? == 1 => {}
            _ => return Err(code_error(k("second-factor-code-wrong"))),
        }
        let codes = new_codes(conn, me.id)?;
        audit_user(
            conn,
            meta,
            Some(me.id),
            "second_factor_codes",
            me.id,
            json!({}),
        )?;
        Ok(codes)
    })
}

/// Turns it off, confirmed with a current code; not for roles that must
/// have one.
pub fn turn_off(
    conn: &mut PgConnection,
    cfg: &Config,
    me: &CurrentUser,
    meta: &RequestMeta,
    code: &str,
) -> Result<(), AppError> {
    if cfg.require_2fa_for.contains(&me.role) {
        return Err(AppError::Invalid(k("second-factor-required")));
    }
    conn.transaction(|conn| {
        match check_code(conn, me.id, code)? {
            Some(step) if user::use_totp_step(conn, me.id, step)? == 1 => {}
            _ => return Err(code_error(k("second-factor-code-wrong"))),
        }
        user::clear_totp(conn, me.id)?;
        recovery_code::delete_all(conn, me.id)?;
        audit_user(
            conn,
            meta,
            Some(me.id),
            "second_factor_off",
            me.id,
            json!({}),
        )?;
        Ok(())
    })
}

/// An administrator removes someone's second factor (a lost phone): their
/// sessions end, they are told by mail, and one whose role requires it sets
/// up a new one at the next sign-in.
pub fn reset(
    conn: &mut PgConnection,
    cfg: &Config,
    admin: &CurrentUser,
    meta: &RequestMeta,
    user_id: i64,
) -> Result<(), AppError> {
    policy::require(admin, Action::ManageUsers)?;
    conn.transaction(|conn| {
        let u = user::find_for_update(conn, user_id)?;
        if u.totp_enabled_at.is_none() {
            return Err(AppError::Invalid(k("second-factor-not-on")));
        }
        user::clear_totp(conn, user_id)?;
        recovery_code::delete_all(conn, user_id)?;
        let ended = session::delete_for_user(conn, user_id, None)?;
        audit_user(
            conn,
            meta,
            Some(admin.id),
            "second_factor_reset",
            user_id,
            json!({ "sessions_ended": ended }),
        )?;
        crate::services::notify::second_factor_reset(conn, cfg, &u)?;
        Ok(())
    })
}

/// The signed-in sessions of `user_id`: one's own, or anyone's for an
/// administrator.
pub fn sessions(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    user_id: i64,
) -> Result<Vec<Session>, AppError> {
    if actor.id != user_id {
        policy::require(actor, Action::ManageUsers)?;
    }
    Ok(session::of_user(conn, user_id)?)
}

/// Ends one session: one's own other sessions, or anyone's for an
/// administrator. Someone else's session is not even named (404).
pub fn end_session(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    meta: &RequestMeta,
    session_id: i64,
) -> Result<i64, AppError> {
    conn.transaction(|conn| {
        let s = session::find(conn, session_id)?;
        if s.user_id != actor.id && !policy::allows(actor.role, Action::ManageUsers) {
            return Err(AppError::NotFound);
        }
        session::delete(conn, s.id)?;
        audit_user(
            conn,
            meta,
            Some(actor.id),
            "session_end",
            s.user_id,
            json!({ "session": s.id, "own": s.user_id == actor.id }),
        )?;
        Ok(s.user_id)
    })
}

/// Ends every session of one's own but this one.
pub fn end_others(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
) -> Result<usize, AppError> {
    conn.transaction(|conn| {
        let n = session::delete_for_user(conn, me.id, Some(me.session_id))?;
        audit_user(
            conn,
            meta,
            Some(me.id),
            "session_end",
            me.id,
            json!({ "others": n }),
        )?;
        Ok(n)
    })
}
