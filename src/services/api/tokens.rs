//! API tokens: created (shown once, stored as a SHA-256), listed, revoked,
//! and resolved to their caller on each request.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::Caller;
use crate::auth::{
    hash_token,
    policy::{self, Action},
    CurrentUser, RequestMeta,
};
use crate::cache::Caches;
use crate::domain::form::{required_text, FormErrors};
use crate::domain::scope::{self, Scope, TOKEN_PREFIX};
use crate::domain::token::random_alnum;
use crate::error::AppError;
use crate::i18n::k;
use crate::models::{
    api_token::{self, ApiToken, NewToken},
    audit::{self, NewAudit},
    user::{self, Role},
};

/// Live tokens one account may hold at once.
pub const MAX_LIVE_TOKENS: i64 = 20;

/// Random characters after the prefix: about 238 bits.
const SECRET_LEN: usize = 40;

/// What the token form (or the CLI) sends.
#[derive(Clone, Debug, Default)]
pub struct TokenForm {
    pub name: String,
    pub scopes: Vec<String>,
    /// Lifetime in days; blank for the default.
    pub days: String,
}

/// A token just made: the secret, shown once and never again, and its row.
pub struct Created {
    pub secret: String,
    pub token: ApiToken,
}

/// Makes a token for `owner_id`. People make their own (`/profile/tokens`);
/// administrators make them for service accounts; the command line
/// (`actor` None) for anyone who does case work.
pub fn create(
    conn: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    owner_id: i64,
    form: &TokenForm,
) -> Result<Created, AppError> {
    let mut errors = FormErrors::default();
    let name = required_text(&mut errors, "name", &form.name, 100);
    let scopes = scope::parse_list(form.scopes.iter().map(String::as_str))
        .map_err(|key| errors.add("scopes", key))
        .unwrap_or_default();
    let days = scope::parse_days(&form.days)
        .map_err(|key| errors.add("days", key))
        .unwrap_or_default();
    conn.transaction(|conn| {
        let owner = user::find_for_update(conn, owner_id)?;
        match actor {
            Some(a) if a.id == owner.id => {}
            Some(a) if owner.service => policy::require(a, Action::ManageUsers)?,
            Some(_) => return Err(AppError::Forbidden),
            None => {}
        }
        // Administrators do no case work: no scope would let a token of
        // theirs do anything.
        if owner.role == Role::Admin {
            return Err(AppError::Invalid(k("token-admin")));
        }
        if !owner.active {
            return Err(AppError::Invalid(k("token-owner-inactive")));
        }
        let now = Utc::now();
        if api_token::live_count(conn, owner.id, now)? >= MAX_LIVE_TOKENS {
            errors.add("name", k("token-too-many"));
        }
        errors.clone().into_result().map_err(AppError::Form)?;
        let secret = format!("{TOKEN_PREFIX}{}", random_alnum(SECRET_LEN));
        let token = api_token::insert(
            conn,
            &NewToken {
                user_id: owner.id,
                name: &name,
                prefix: &secret[TOKEN_PREFIX.len()..TOKEN_PREFIX.len() + 6],
                token_hash: &hash_token(&secret),
                scopes: scopes.iter().map(|s| s.code()).collect(),
                expires_at: Some(now + Duration::days(days)),
                created_by: actor.map(|a| a.id),
            },
        )?;
        audit::append(
            conn,
            meta,
            NewAudit {
                actor_id: actor.map(|a| a.id),
                action: "token_create",
                target_type: Some("user"),
                target_id: Some(owner.id.to_string()),
                detail: json!({
                    "token": token.id,
                    "name": name,
                    "scopes": token.scopes,
                    "days": days,
                    "via": if actor.is_some() { "web" } else { "cli" },
                }),
            },
        )?;
        Ok(Created { secret, token })
    })
}

/// The tokens of `owner_id`, for themselves or an administrator.
pub fn of_user(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    owner_id: i64,
) -> Result<Vec<ApiToken>, AppError> {
    if actor.id != owner_id {
        policy::require(actor, Action::ManageUsers)?;
    }
    Ok(api_token::of_user(conn, owner_id)?)
}

/// Revokes a token: its owner, or an administrator. Revoking twice is a no-op.
pub fn revoke(
    conn: &mut PgConnection,
    actor: &CurrentUser,
    meta: &RequestMeta,
    token_id: i64,
) -> Result<ApiToken, AppError> {
    conn.transaction(|conn| {
        let t = api_token::find_for_update(conn, token_id)?;
        if t.user_id != actor.id && !policy::allows(actor.role, Action::ManageUsers) {
            // Someone else's token is not even named.
            return Err(AppError::NotFound);
        }
        if t.revoked_at.is_none() {
            api_token::revoke(conn, t.id, actor.id, Utc::now())?;
            audit::append(
                conn,
                meta,
                NewAudit {
                    actor_id: Some(actor.id),
                    action: "token_revoke",
                    target_type: Some("user"),
                    target_id: Some(t.user_id.to_string()),
                    detail: json!({ "token": t.id, "name": t.name }),
                },
            )?;
        }
        Ok(api_token::find_for_update(conn, token_id)?)
    })
}

/// Callers this instance found behind their tokens lately, by the token's
/// hash: a bank checking accounts sends thousands of requests a minute with
/// one token, and reading it for each was a round trip of every check. An
/// entry is used only while nothing about users, tokens or units changed
/// since it was read (`Caches::auth_epoch`: this instance's own changes at
/// once, any other's by the notice the triggers send, within a tenth of a
/// second), for at most `KNOWN_FOR`, and never past the token's expiry.
#[derive(Default)]
pub struct Known {
    map: RwLock<HashMap<Vec<u8>, KnownCaller>>,
}

struct KnownCaller {
    at: Instant,
    epoch: u64,
    expires_at: Option<DateTime<Utc>>,
    caller: Caller,
}

/// The longest a remembered caller is used without reading the token again.
pub const KNOWN_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// Tokens remembered at most (a full map starts again).
const KNOWN_MAX: usize = 10_000;

impl Known {
    fn get(&self, hash: &[u8], epoch: u64, now: DateTime<Utc>) -> Option<Caller> {
        let map = self.map.read().ok()?;
        let e = map.get(hash)?;
        (e.epoch == epoch && e.at.elapsed() < KNOWN_FOR && e.expires_at.is_none_or(|x| x > now))
            .then(|| e.caller.clone())
    }

    fn put(&self, hash: Vec<u8>, entry: KnownCaller) {
        if let Ok(mut map) = self.map.write() {
            if map.len() >= KNOWN_MAX {
                map.clear();
            }
            map.insert(hash, entry);
        }
    }
}

/// The hash of a secret shaped like a token, or None (no need to look).
fn hash_of(secret: &str) -> Option<Vec<u8>> {
    let shaped = secret.starts_with(TOKEN_PREFIX)
        && secret.len() == TOKEN_PREFIX.len() + SECRET_LEN
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    shaped.then(|| hash_token(secret))
}

/// The caller behind a bearer token if this instance remembers it (see
/// `Known`), without the database.
pub fn authenticate_known(known: &Known, caches: &Caches, secret: &str) -> Option<Caller> {
    known.get(&hash_of(secret)?, caches.auth_epoch(), Utc::now())
}

/// The caller behind a bearer token, or None when it is unknown, expired,
/// revoked, or its user is deactivated (all one answer: 401).
pub fn authenticate(
    conn: &mut PgConnection,
    known: &Known,
    caches: &Caches,
    secret: &str,
) -> Result<Option<Caller>, AppError> {
    let Some(hash) = hash_of(secret) else {
        return Ok(None);
    };
    // Read before the token: a change committed meanwhile moves it, and
    // what is read now is not remembered past it.
    let epoch = caches.auth_epoch();
    let now = Utc::now();
    if let Some(c) = known.get(&hash, epoch, now) {
        return Ok(Some(c));
    }
    let Some((t, u)) = api_token::find_with_user(conn, &hash)? else {
        return Ok(None);
    };
    if !t.is_live(now) || !u.active {
        return Ok(None);
    }
    let scopes = t.scopes.iter().filter_map(|s| Scope::parse(s)).collect();
    let mut user =
        crate::services::auth::signed_in(u, 0, String::new(), crate::models::session::Stage::Full);
    user.unit_name = caches.unit_name(conn, user.unit_id)?;
    user.unit_tz = caches.unit_time_zone(conn, user.unit_id)?;
    let caller = Caller {
        user,
        token_id: t.id,
        scopes,
    };
    known.put(
        hash,
        KnownCaller {
            at: Instant::now(),
            epoch,
            expires_at: t.expires_at,
            caller: caller.clone(),
        },
    );
    Ok(Some(caller))
}
