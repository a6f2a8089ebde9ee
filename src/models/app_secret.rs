//! `app_secrets`: keys generated once and shared by every instance on the database.

use diesel::prelude::*;
use rand::RngCore;

use crate::db::schema::app_secrets;

/// The key of the public side's signed tokens (`domain::sign`), created on first use.
pub fn signing_key(conn: &mut PgConnection) -> QueryResult<Vec<u8>> {
    let mut fresh = vec![0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    diesel::insert_into(app_secrets::table)
        .values((
            app_secrets::name.eq("signing"),
            app_secrets::value.eq(fresh),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    app_secrets::table
        .find("signing")
        .select(app_secrets::value)
        .first(conn)
}
