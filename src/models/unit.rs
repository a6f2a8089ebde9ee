//! `units` and `unit_names`: the police units and the names they went by.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{pg::Pg, prelude::*};

use crate::db::schema::{unit_names, units};
pub use crate::domain::unit::{NameFrom, UnitKind};

crate::sql_text!(UnitKind);

#[derive(Queryable, Selectable, Identifiable, Clone, Debug)]
#[diesel(table_name = units, check_for_backend(Pg))]
pub struct Unit {
    pub id: i32,
    pub code: String,
    pub kind: UnitKind,
    pub parent_id: Option<i32>,
    pub ref_prefix: String,
    pub time_zone: String,
    pub contact: String,
    pub active: bool,
    pub from_settings: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = units)]
pub struct NewUnit<'a> {
    pub code: &'a str,
    pub kind: UnitKind,
    pub parent_id: Option<i32>,
    pub ref_prefix: &'a str,
    pub time_zone: &'a str,
    pub contact: &'a str,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = units)]
pub struct UnitChanges {
    pub code: Option<String>,
    pub kind: Option<UnitKind>,
    pub parent_id: Option<Option<i32>>,
    pub ref_prefix: Option<String>,
    pub time_zone: Option<String>,
    pub contact: Option<String>,
    pub active: Option<bool>,
    pub from_settings: Option<bool>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Every unit, by code.
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Unit>> {
    units::table
        .order(units::code.asc())
        .select(Unit::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, id: i32) -> QueryResult<Unit> {
    units::table.find(id).select(Unit::as_select()).first(conn)
}

/// The unit with this code, however cased or spaced it was typed.
pub fn find_by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Unit>> {
    units::table
        .filter(units::code.eq(code.trim().to_uppercase()))
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

/// The active unit with this code: where a case, report, request, route or
/// account may go.
pub fn find_active(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Unit>> {
    Ok(find_by_code(conn, code)?.filter(|u| u.active))
}

/// The current Vietnamese name of each unit, by id (two queries, for lists
/// that name many units).
pub fn names_now(conn: &mut PgConnection) -> QueryResult<std::collections::HashMap<i32, String>> {
    Ok(directory(conn)?
        .into_iter()
        .map(|u| (u.id, u.contact.name))
        .collect())
}

/// The current Vietnamese name of unit `id` (its code if it has none).
pub fn name_now(conn: &mut PgConnection, id: i32) -> QueryResult<String> {
    Ok(contacts(conn, &[id])?
        .remove(&id)
        .map(|u| u.name)
        .unwrap_or_default())
}

/// Whether another unit than `except` already has this code or prefix.
pub fn taken(
    conn: &mut PgConnection,
    code: &str,
    prefix: &str,
    except: Option<i32>,
) -> QueryResult<(bool, bool)> {
    let others = || units::table.filter(units::id.ne(except.unwrap_or(0)));
    let code_taken = diesel::select(diesel::dsl::exists(others().filter(units::code.eq(code))))
        .get_result(conn)?;
    let prefix_taken = diesel::select(diesel::dsl::exists(
        others().filter(units::ref_prefix.eq(prefix)),
    ))
    .get_result(conn)?;
    Ok((code_taken, prefix_taken))
}

pub fn insert(conn: &mut PgConnection, new: &NewUnit) -> QueryResult<Unit> {
    diesel::insert_into(units::table)
        .values(new)
        .returning(Unit::as_returning())
        .get_result(conn)
}

pub fn update(conn: &mut PgConnection, id: i32, changes: &UnitChanges) -> QueryResult<Unit> {
    diesel::update(units::table.find(id))
        .set(changes)
        .returning(Unit::as_returning())
        .get_result(conn)
}

/// The names of a unit, oldest first.
pub fn names(conn: &mut PgConnection, unit_id: i32) -> QueryResult<Vec<NameFrom>> {
    let rows: Vec<(NaiveDate, String, String)> = unit_names::table
        .filter(unit_names::unit_id.eq(unit_id))
        .order(unit_names::valid_from.asc())
        .select((
            unit_names::valid_from,
            unit_names::name_vi,
            unit_names::name_en,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(valid_from, name_vi, name_en)| NameFrom {
            valid_from,
            name_vi,
            name_en,
        })
        .collect())
}

/// The current name of every unit: (unit id, name from its latest date).
pub fn current_names(conn: &mut PgConnection) -> QueryResult<Vec<(i32, NameFrom)>> {
    let rows: Vec<(i32, NaiveDate, String, String)> = unit_names::table
        .distinct_on(unit_names::unit_id)
        .order((unit_names::unit_id.asc(), unit_names::valid_from.desc()))
        .select((
            unit_names::unit_id,
            unit_names::valid_from,
            unit_names::name_vi,
            unit_names::name_en,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, valid_from, name_vi, name_en)| {
            (
                id,
                NameFrom {
                    valid_from,
                    name_vi,
                    name_en,
                },
            )
        })
        .collect())
}

/// Adds a name from `valid_from` on, or replaces the one starting that day.
pub fn set_name(conn: &mut PgConnection, unit_id: i32, name: &NameFrom) -> QueryResult<()> {
    diesel::insert_into(unit_names::table)
        .values((
            unit_names::unit_id.eq(unit_id),
            unit_names::valid_from.eq(name.valid_from),
            unit_names::name_vi.eq(&name.name_vi),
            unit_names::name_en.eq(&name.name_en),
        ))
        .on_conflict((unit_names::unit_id, unit_names::valid_from))
        .do_update()
        .set((
            unit_names::name_vi.eq(&name.name_vi),
            unit_names::name_en.eq(&name.name_en),
        ))
        .execute(conn)?;
    Ok(())
}

/// The unit still waiting to take its name and prefix from the settings.
pub fn pending_settings(conn: &mut PgConnection) -> QueryResult<Option<Unit>> {
    units::table
        .filter(units::from_settings.eq(true))
        .for_update()
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

/// Replaces a unit's whole name history by one name (the first unit, when it
/// takes its name from the settings).
pub fn reset_names(conn: &mut PgConnection, unit_id: i32, name: &NameFrom) -> QueryResult<()> {
    diesel::delete(unit_names::table.filter(unit_names::unit_id.eq(unit_id))).execute(conn)?;
    set_name(conn, unit_id, name)
}

/// The first active unit: the one that receives public reports and new
/// accounts made on the command line, until routing says otherwise.
pub fn first_active(conn: &mut PgConnection) -> QueryResult<i32> {
    units::table
        .filter(units::active.eq(true))
        .order(units::id.asc())
        .select(units::id)
        .first(conn)
}

/// The reference prefix of a unit and its (Vietnamese) name on `day`, as a
/// record made that day keeps them.
pub fn on_record(
    conn: &mut PgConnection,
    unit_id: i32,
    day: NaiveDate,
) -> QueryResult<(String, String)> {
    let u = find(conn, unit_id)?;
    let names = names(conn, unit_id)?;
    let name = crate::domain::unit::name_on(&names, day)
        .map_or_else(|| u.code.clone(), |n| n.name_vi.clone());
    Ok((u.ref_prefix, name))
}

/// What one unit may know of another: who it is and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitContact {
    pub code: String,
    /// The current Vietnamese name.
    pub name: String,
    pub contact: String,
}

/// The contact of each of `ids`.
pub fn contacts(
    conn: &mut PgConnection,
    ids: &[i32],
) -> QueryResult<std::collections::HashMap<i32, UnitContact>> {
    let rows: Vec<(i32, String, String)> = units::table
        .filter(units::id.eq_any(ids))
        .select((units::id, units::code, units::contact))
        .load(conn)?;
    let names: std::collections::HashMap<i32, String> = current_names(conn)?
        .into_iter()
        .filter(|(id, _)| ids.contains(id))
        .map(|(id, n)| (id, n.name_vi))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(id, code, contact)| {
            let name = names.get(&id).cloned().unwrap_or_else(|| code.clone());
            (
                id,
                UnitContact {
                    code,
                    name,
                    contact,
                },
            )
        })
        .collect())
}

/// A unit as pages name it: code, current name, contact, whether active.
#[derive(Clone, Debug)]
pub struct UnitEntry {
    pub id: i32,
    pub contact: UnitContact,
    pub active: bool,
    /// Where its people read times (None: a zone name the build does not know).
    pub time_zone: Option<chrono_tz::Tz>,
}

/// Every unit with its current name (for the cache).
pub fn directory(conn: &mut PgConnection) -> QueryResult<Vec<UnitEntry>> {
    let names: std::collections::HashMap<i32, String> = current_names(conn)?
        .into_iter()
        .map(|(id, n)| (id, n.name_vi))
        .collect();
    Ok(all(conn)?
        .into_iter()
        .map(|u| UnitEntry {
            id: u.id,
            active: u.active,
            time_zone: u.time_zone.parse().ok(),
            contact: UnitContact {
                name: names.get(&u.id).cloned().unwrap_or_else(|| u.code.clone()),
                code: u.code,
                contact: u.contact,
            },
        })
        .collect())
}

/// Active units with their time zones (an unknown zone reads as the default).
pub fn active_zones(
    conn: &mut PgConnection,
    default: chrono_tz::Tz,
) -> QueryResult<Vec<(i32, chrono_tz::Tz)>> {
    let rows: Vec<(i32, String)> = units::table
        .filter(units::active.eq(true))
        .order(units::id.asc())
        .select((units::id, units::time_zone))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, tz)| (id, tz.parse().unwrap_or(default)))
        .collect())
}

/// One unit's time zone (the default when the unit or its zone is unknown).
pub fn zone_of(
    conn: &mut PgConnection,
    id: i32,
    default: chrono_tz::Tz,
) -> QueryResult<chrono_tz::Tz> {
    let tz: Option<String> = units::table
        .find(id)
        .select(units::time_zone)
        .first(conn)
        .optional()?;
    Ok(tz.and_then(|t| t.parse().ok()).unwrap_or(default))
}
