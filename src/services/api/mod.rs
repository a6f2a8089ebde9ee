//! The JSON API's rules (`docs/domain.md` §15): who a token is, what its
//! scopes let it do, its use counts, and the look-ups only the API offers.
//! Everything else the API does is the pages' own services, called as the
//! token's user.

mod lookup;
mod tokens;
mod usage;

pub use lookup::{lookup, Answer, Ask, LOOKUP_MAX};
pub use tokens::{
    authenticate, authenticate_known, create, of_user, revoke, Created, Known, TokenForm,
    KNOWN_FOR, MAX_LIVE_TOKENS,
};
pub use usage::Gate;

use diesel::{Connection, PgConnection};

use crate::auth::CurrentUser;
use crate::domain::scope::Scope;
use crate::error::AppError;
use crate::i18n::k;
use crate::services::access::load_visible;

/// The caller of an API request: the token's user, narrowed by its scopes.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: CurrentUser,
    pub token_id: i64,
    pub scopes: Vec<Scope>,
}

impl Caller {
    /// `Ok` when the token holds `scope`; the user's own permissions are
    /// checked after, by the service the request calls.
    pub fn require(&self, scope: Scope) -> Result<&CurrentUser, AppError> {
        if self.scopes.contains(&scope) {
            Ok(&self.user)
        } else {
            Err(AppError::MissingScope(scope))
        }
    }
}

/// Runs `change` on case `reference` only if it is still at `version` (the
/// client's `If-Match`): in one transaction with the case row locked, so
/// nobody saves in between. A case the caller may not open is 404 before
/// any version is compared.
pub fn if_version<T>(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
    version: Option<i32>,
    change: impl FnOnce(&mut PgConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let Some(version) = version else {
        return change(conn);
    };
    conn.transaction(|conn| {
        let (c, _) = load_visible(conn, me, reference, true)?;
        if c.version != version {
            return Err(AppError::Conflict(k("case-conflict")));
        }
        change(conn)
    })
}
