//! Opening a case: a case the user may not open does not exist for them (404),
//! the same rule lists, counts and search apply (`auth::policy`).

use diesel::PgConnection;

use crate::auth::{policy, CurrentUser};
use crate::error::AppError;
use crate::models::case::{self, Case};

/// Loads a case the user may see (404 otherwise: a case one may not open does not
/// exist for them) and whether they watch it.
pub fn load_visible(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
    lock: bool,
) -> Result<(Case, bool), AppError> {
    let (c, watchers) = load_visible_with_watchers(conn, me, reference, lock)?;
    Ok((c, watchers.contains(&me.id)))
}

/// The case if `me` may open it, with the ids of its watchers.
pub fn load_visible_with_watchers(
    conn: &mut PgConnection,
    me: &CurrentUser,
    reference: &str,
    lock: bool,
) -> Result<(Case, Vec<i64>), AppError> {
    let (c, watchers) = case::with_watchers(conn, reference, lock)?;
    if !policy::can_view_case(me, &c, watchers.contains(&me.id)) {
        return Err(AppError::NotFound);
    }
    Ok((c, watchers))
}
