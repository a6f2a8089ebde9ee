//! Vietnamese banks and payment intermediaries (NAPAS/VietQR BINs): the
//! qualifier of bank-account identifiers. Codes are never renamed (stored
//! identifier values carry them); a bank no longer in use is deactivated.

use diesel::pg::Pg;
use diesel::prelude::*;

use crate::db::schema::banks;

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug, Default)]
#[diesel(table_name = banks, check_for_backend(Pg))]
pub struct Bank {
    pub code: String,
    pub bin: String,
    pub short_name: String,
    pub name_vi: String,
    pub aliases: Vec<String>,
    pub sort: i32,
    pub active: bool,
}

pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Bank>> {
    banks::table
        .order((banks::sort, banks::code))
        .select(Bank::as_select())
        .load(conn)
}

pub fn insert(conn: &mut PgConnection, b: &Bank) -> QueryResult<Bank> {
    diesel::insert_into(banks::table)
        .values(b)
        .returning(Bank::as_returning())
        .get_result(conn)
}

/// Everything but the code changes.
pub fn update(conn: &mut PgConnection, b: &Bank) -> QueryResult<Bank> {
    diesel::update(banks::table.find(&b.code))
        .set((
            banks::bin.eq(&b.bin),
            banks::short_name.eq(&b.short_name),
            banks::name_vi.eq(&b.name_vi),
            banks::aliases.eq(&b.aliases),
            banks::sort.eq(b.sort),
            banks::active.eq(b.active),
        ))
        .returning(Bank::as_returning())
        .get_result(conn)
}
