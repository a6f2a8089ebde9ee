//! Sign-in, sessions, sign-out, password changes and the first-run administrator.

use chrono::{Duration, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::json;

use crate::auth::{hash_token, password, CurrentUser, RequestMeta};
use crate::config::Config;
use crate::domain::form::FormErrors;
use crate::domain::token::random_token;
use crate::error::AppError;
use crate::i18n::{k, Lang};
use crate::models::{
    audit::{self, NewAudit},
    login_attempt::{self, Outcome},
    session::{self, NewSession},
    user::{self, NewUser, Role, UserChanges},
};
use crate::services::users::normalise_email;

/// Failures within `WINDOW` that lock an account (known or not) for `LOCK_FOR`.
pub const LOCK_THRESHOLD: i64 = 5;
pub const WINDOW_MINUTES: i64 = 15;
pub const LOCK_MINUTES: i64 = 15;
/// Sessions are touched at most this often, to spare a write per request.
const TOUCH_EVERY_SECONDS: i64 = 60;
/// Longest password we even look at; longer input is a failure without hashing.
const MAX_INPUT: usize = 1024;

#[derive(Debug)]
pub enum LoginOutcome {
    SignedIn {
        token: String,
        user_lang: Lang,
        must_change_password: bool,
        /// `SecondFactor`: the code is still due (`/login/2fa`); `Enrol`: a
        /// second factor must be set up first (`/profile/2fa`).
        stage: session::Stage,
    },
    /// Wrong e-mail, wrong password or deactivated account: one answer for all.
    Failed,
    /// Locked account or sprayed IP: same answer whether the account exists or not.
    Throttled,
}

/// Checks credentials and, on success, opens a new session (a fresh token every
/// time, so a token planted before sign-in is useless afterwards) and ends
/// `previous_session`, the one this browser had. Attempts for one e-mail are
/// serialised (advisory lock), so a burst of parallel guesses cannot slip past the
/// lockout.
pub fn login(
    conn: &mut PgConnection,
    cfg: &Config,
    meta: &RequestMeta,
    email: &str,
    pass: &str,
    previous_session: Option<i64>,
) -> Result<LoginOutcome, AppError> {
    let email: String = normalise_email(email).chars().take(254).collect();
    conn.transaction(|conn| {
        lock_email(conn, &email)?;
        let now = Utc::now();
        let window_start = now - Duration::minutes(WINDOW_MINUTES);

        if login_attempt::recent_failures_for_ip(conn, &meta.ip, window_start)?
            >= cfg.login_ip_max_failures
        {
            // One audit row when the limit is reached, not one per refused request:
            // the audit log is append-only and must not be an unbounded sink.
            if login_attempt::recent_count_for_ip(conn, &meta.ip, Outcome::IpLimited, window_start)?
                == 0
            {
                audit::append(
                    conn,
                    meta,
                    NewAudit {
                        actor_id: None,
                        action: "login_ip_limited",
                        target_type: None,
                        target_id: None,
                        detail: json!({}),
                    },
                )?;
            }
            login_attempt::record(conn, &email, &meta.ip, Outcome::IpLimited)?;
            return Ok(LoginOutcome::Throttled);
        }
        if login_attempt::locked_until(conn, &email)?.is_some_and(|until| until > now) {
            login_attempt::record(conn, &email, &meta.ip, Outcome::Locked)?;
            return Ok(LoginOutcome::Throttled);
        }

        let user = user::find_by_email(conn, &email)?;
        let verified = match (&user, pass.len() <= MAX_INPUT) {
            (Some(u), true) if !u.service => password::verify(pass, &u.password_hash),
            // A service account has no password: as slow as an unknown one.
            (_, true) => {
                password::verify_dummy(pass);
                false
            }
            (_, false) => false,
        };

        match user {
            Some(u) if verified && u.active && u.totp_enabled_at.is_some() => {
                // The password was right; the session is only half-open
                // until the code is given (`second_factor::sign_in`).
                if let Some(old) = previous_session {
                    session::delete(conn, old)?;
                }
                let token = open_session(conn, cfg, meta, u.id, session::Stage::SecondFactor)?;
                Ok(LoginOutcome::SignedIn {
                    token,
                    user_lang: u.lang.parse().unwrap_or_default(),
                    must_change_password: u.must_change_password,
                    stage: session::Stage::SecondFactor,
                })
            }
            Some(u) if verified && u.active => {
                if let Some(old) = previous_session {
                    session::delete(conn, old)?;
                }
                let stage = if cfg.require_2fa_for.contains(&u.role) {
                    session::Stage::Enrol
                } else {
                    session::Stage::Full
                };
                let token = open_session(conn, cfg, meta, u.id, stage)?;
                login_attempt::record(conn, &email, &meta.ip, Outcome::Success)?;
                audit::append(
                    conn,
                    meta,
                    NewAudit {
                        actor_id: Some(u.id),
                        action: "login",
                        target_type: Some("user"),
                        target_id: Some(u.id.to_string()),
                        detail: json!({}),
                    },
                )?;
                Ok(LoginOutcome::SignedIn {
                    token,
                    user_lang: u.lang.parse().unwrap_or_default(),
                    must_change_password: u.must_change_password,
                    stage,
                })
            }
            user => {
                let reason = match &user {
                    None => "unknown_account",
                    Some(u) if !u.active && verified => "deactivated",
                    Some(_) => "wrong_password",
                };
                record_failure(conn, meta, &email, user.as_ref().map(|u| u.id), reason)?;
                Ok(LoginOutcome::Failed)
            }
        }
    })
}

/// A failed sign-in step (a password, or a second factor: both count toward
/// the same lock-out): its attempt row, its audit row, and the lock once
/// `LOCK_THRESHOLD` failures fall within the window. Callers hold the
/// e-mail's advisory lock (`lock_email`).
pub fn record_failure(
    conn: &mut PgConnection,
    meta: &RequestMeta,
    email: &str,
    user_id: Option<i64>,
    reason: &str,
) -> Result<(), AppError> {
    let now = Utc::now();
    login_attempt::record(conn, email, &meta.ip, Outcome::Failure)?;
    // SECURITY: the typed e-mail is not recorded: people sometimes type a
    // password into the e-mail field. Known accounts are named by id.
    let target_id = user_id.map(|id| id.to_string());
    let target_type = user_id.map(|_| "user");
    audit::append(
        conn,
        meta,
        NewAudit {
            actor_id: None,
            action: "login_failed",
            target_type,
            target_id: target_id.clone(),
            detail: json!({ "reason": reason }),
        },
    )?;
    if login_attempt::recent_failures_for_email(
        conn,
        email,
        now - Duration::minutes(WINDOW_MINUTES),
    )? >= LOCK_THRESHOLD
    {
        login_attempt::lock(conn, email, now + Duration::minutes(LOCK_MINUTES))?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: None,
                action: "lockout",
                target_type,
                target_id,
                detail: json!({ "minutes": LOCK_MINUTES }),
            },
        )?;
    }
    Ok(())
}

/// Serialises sign-in attempts for one e-mail until the transaction ends.
pub fn lock_email(conn: &mut PgConnection, email: &str) -> Result<(), AppError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind::<diesel::sql_types::Text, _>(email)
        .execute(conn)?;
    Ok(())
}

/// How long a sign-in may wait for its second factor.
pub const SECOND_FACTOR_MINUTES: i64 = 10;

/// A new session for `user_id` at `stage`, with a fresh token and CSRF
/// token; returns the token for the cookie.
pub fn open_session(
    conn: &mut PgConnection,
    cfg: &Config,
    meta: &RequestMeta,
    user_id: i64,
    stage: session::Stage,
) -> Result<String, AppError> {
    let token = random_token(32);
    let lifetime = match stage {
        session::Stage::SecondFactor => Duration::minutes(SECOND_FACTOR_MINUTES),
        _ => to_chrono(cfg.session_lifetime),
    };
    session::insert(
        conn,
        &NewSession {
            user_id,
            token_hash: &hash_token(&token),
            csrf_token: &random_token(32),
            expires_at: Utc::now() + lifetime,
            ip: Some(&meta.ip),
            user_agent: Some(&meta.user_agent.chars().take(300).collect::<String>()),
            stage,
        },
    )?;
    Ok(token)
}

/// The result of looking up a session cookie.
pub enum SessionLookup {
    Valid(Box<CurrentUser>),
    /// Unknown, expired or belonging to a deactivated user: the cookie should go.
    Invalid,
}

/// Loads the user behind a session token, enforcing idle and absolute expiry and
/// the active flag. Expired sessions are deleted on sight.
pub fn load_session(
    conn: &mut PgConnection,
    cfg: &Config,
    token: &str,
) -> Result<SessionLookup, AppError> {
    let now = Utc::now();
    let Some((s, u)) = session::find_with_user(conn, &hash_token(token))? else {
        return Ok(SessionLookup::Invalid);
    };
    let idle_limit = now - to_chrono(cfg.session_idle);
    if s.expires_at <= now || s.last_seen_at < idle_limit || !u.active {
        session::delete(conn, s.id)?;
        return Ok(SessionLookup::Invalid);
    }
    if now - s.last_seen_at > Duration::seconds(TOUCH_EVERY_SECONDS) {
        session::touch(conn, s.id, now)?;
    }
    Ok(SessionLookup::Valid(Box::new(signed_in(
        u,
        s.id,
        s.csrf_token,
        s.stage,
    ))))
}

/// The signed-in user `u` of session `session_id` (0 for an API token, which
/// has no session and no CSRF token); unit name and zone come from the cache.
pub fn signed_in(
    u: user::User,
    session_id: i64,
    csrf_token: String,
    stage: session::Stage,
) -> CurrentUser {
    CurrentUser {
        stage,
        id: u.id,
        session_id,
        email: u.email,
        full_name: u.full_name,
        role: u.role,
        team: u.team,
        on_duty: u.on_duty,
        lang: u.lang.parse().unwrap_or_default(),
        must_change_password: u.must_change_password,
        csrf_token,
        unit_id: u.unit_id,
        unit_name: String::new(),
        unit_tz: None,
    }
}

/// Ends the current session.
pub fn logout(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        session::delete(conn, me.session_id)?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: "logout",
                target_type: Some("user"),
                target_id: Some(me.id.to_string()),
                detail: json!({}),
            },
        )?;
        Ok(())
    })
}

/// Changes one's own password after checking the current one; every other session
/// of the user ends. Validation problems come back as `AppError::Form`.
pub fn change_password(
    conn: &mut PgConnection,
    me: &CurrentUser,
    meta: &RequestMeta,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let mut errors = FormErrors::default();
    if let Err(key) = password::check_new(new, &me.email) {
        errors.add("new_password", key);
    } else if new != confirm {
        errors.add("confirm_password", k("password-mismatch"));
    } else if new == current {
        errors.add("new_password", k("password-unchanged"));
    }
    conn.transaction(|conn| {
        let u = user::find_for_update(conn, me.id)?;
        if current.len() > MAX_INPUT || !password::verify(current, &u.password_hash) {
            errors.add("current_password", k("password-current-wrong"));
        }
        errors.clone().into_result().map_err(AppError::Form)?;
        let hash = password::hash(new).map_err(AppError::internal)?;
        let now = Utc::now();
        user::update(
            conn,
            me.id,
            &UserChanges {
                password_hash: Some(hash),
                must_change_password: Some(false),
                password_changed_at: Some(now),
                updated_at: Some(now),
                ..Default::default()
            },
        )?;
        let ended = session::delete_for_user(conn, me.id, Some(me.session_id))?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: Some(me.id),
                action: "password_change",
                target_type: Some("user"),
                target_id: Some(me.id.to_string()),
                detail: json!({ "other_sessions_ended": ended }),
            },
        )?;
        Ok(())
    })
}

/// On the very first start (no users at all) creates the administrator with a
/// generated password that must be changed at first sign-in. Returns the password
/// to print once. Safe when several instances start together.
pub fn bootstrap_admin(conn: &mut PgConnection, cfg: &Config) -> Result<Option<String>, AppError> {
    conn.transaction(|conn| {
        crate::db::lock_setup(conn)?;
        if user::count_all(conn)? > 0 {
            return Ok(None);
        }
        let pass = password::generate();
        let hash = password::hash(&pass).map_err(AppError::internal)?;
        let name = crate::i18n::t(cfg.default_lang, Role::Admin.label_key());
        let unit_id = crate::models::unit::first_active(conn)?;
        let admin = user::insert(
            conn,
            &NewUser {
                email: &cfg.admin_email,
                full_name: &name,
                role: Role::Admin,
                team: None,
                on_duty: false,
                lang: cfg.default_lang.code(),
                must_change_password: true,
                password_hash: &hash,
                unit_id,
                service: false,
            },
        )?;
        audit::append(
            conn,
            &RequestMeta::default(),
            NewAudit {
                actor_id: None,
                action: "user_bootstrap",
                target_type: Some("user"),
                target_id: Some(admin.id.to_string()),
                detail: json!({ "role": "admin" }),
            },
        )?;
        Ok(Some(pass))
    })
}

/// Deletes expired sessions and old throttling rows; run periodically.
pub fn housekeeping(conn: &mut PgConnection, cfg: &Config) -> Result<usize, AppError> {
    let now = Utc::now();
    let sessions = session::delete_expired(conn, now, now - to_chrono(cfg.session_idle))?;
    let attempts = login_attempt::purge(conn, now - Duration::days(1))?;
    let allowances = crate::models::rate_limit::prune(conn)?;
    Ok(sessions + attempts + allowances)
}

fn to_chrono(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::hours(12))
}
