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

/// Every name a bank goes by — code, NAPAS BIN, short and full name, former
/// names — for resolving what people write and for extraction.
pub fn names(conn: &mut PgConnection) -> QueryResult<Vec<crate::domain::ident::extract::Bank>> {
    let all: Vec<(String, String, String, String, Vec<String>)> = banks::table
        .order(banks::sort)
        .select((
            banks::code,
            banks::bin,
            banks::short_name,
            banks::name_vi,
            banks::aliases,
        ))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|(code, bin, short, full, aliases)| {
            let mut names = vec![code.clone(), bin, short, full];
            names.extend(aliases);
            crate::domain::ident::extract::Bank { code, names }
        })
        .collect())
}

/// Codes of the banks in use (what a public form may name).
pub fn active_codes(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    banks::table
        .filter(banks::active.eq(true))
        .select(banks::code)
        .load(conn)
}

/// (code, short name) of the banks in use, in their order, for a form's choice.
pub fn active_choices(conn: &mut PgConnection) -> QueryResult<Vec<(String, String)>> {
    banks::table
        .filter(banks::active.eq(true))
        .order((banks::sort.asc(), banks::code.asc()))
        .select((banks::code, banks::short_name))
        .load(conn)
}
