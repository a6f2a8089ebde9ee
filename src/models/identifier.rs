//! `identifiers`: one row per distinct typed, normalised value (`domain::ident`).

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::db::schema::identifiers;

pub use crate::domain::ident::normalise::IdKind;
crate::sql_text!(IdKind);

pub fn find_or_create(conn: &mut PgConnection, kind: IdKind, value: &str) -> QueryResult<i64> {
    diesel::insert_into(identifiers::table)
        .values((
            identifiers::kind.eq(kind.code()),
            identifiers::value.eq(value),
        ))
        .on_conflict((identifiers::kind, identifiers::value))
        .do_nothing()
        .execute(conn)?;
    identifiers::table
        .filter(identifiers::kind.eq(kind.code()))
        .filter(identifiers::value.eq(value))
        .select(identifiers::id)
        .first(conn)
}

/// An identifier found by a search.
#[derive(Clone, Debug, Queryable)]
pub struct Found {
    pub id: i64,
    pub kind: IdKind,
    pub value: String,
}

/// Kinds whose value is `qualifier:id`, searchable by the id alone.
pub const QUALIFIED: &[&str] = &["bank_account", "ewallet", "social"];

/// The kind and value of identifier `id`.
pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<(IdKind, String)> {
    identifiers::table
        .find(id)
        .select((identifiers::kind, identifiers::value))
        .first(conn)
}

/// Identifiers with one of the `exact` (kind, value) pairs, or of a qualified
/// kind whose id part (after `qualifier:`) is one of `bare`; 100 at most.
pub fn search(
    conn: &mut PgConnection,
    exact: Vec<(IdKind, String)>,
    bare: Vec<String>,
) -> QueryResult<Vec<Found>> {
    let mut cond: Box<dyn BoxableExpression<identifiers::table, diesel::pg::Pg, SqlType = Bool>> =
        Box::new(sql::<Bool>("FALSE"));
    for (kind, value) in exact {
        cond = Box::new(
            cond.or(identifiers::kind
                .eq(kind.code())
                .and(identifiers::value.eq(value))),
        );
    }
    for b in bare {
        cond = Box::new(
            cond.or(identifiers::kind
                .eq_any(QUALIFIED)
                .and(sql::<Bool>("split_part(identifiers.value, ':', 2) = ").bind::<Text, _>(b))),
        );
    }
    identifiers::table
        .filter(cond)
        .order((identifiers::kind, identifiers::value))
        .limit(100)
        .select((identifiers::id, identifiers::kind, identifiers::value))
        .load(conn)
}
