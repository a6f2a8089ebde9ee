//! `provinces` and `report_routes`: where a public report goes, by the
//! reporter's province and ward.

use diesel::prelude::*;

use crate::db::schema::{provinces, report_routes, units};

/// (code, Vietnamese name, English name) of the 34 provinces and cities.
pub fn provinces(conn: &mut PgConnection) -> QueryResult<Vec<(String, String, String)>> {
    provinces::table
        .order(provinces::sort.asc())
        .select((provinces::code, provinces::name_vi, provinces::name_en))
        .load(conn)
}

/// A routing rule as listed: (province code, ward as typed, unit id).
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<(String, String, String, i32)>> {
    report_routes::table
        .order((report_routes::province.asc(), report_routes::ward_key.asc()))
        .select((
            report_routes::province,
            report_routes::ward_key,
            report_routes::ward_name,
            report_routes::unit_id,
        ))
        .load(conn)
}

/// The active unit for a report from `province` and the ward `ward_key`
/// (folded): the ward's rule, else the province's, else none.
pub fn unit_for(
    conn: &mut PgConnection,
    province: &str,
    ward_key: &str,
) -> QueryResult<Option<i32>> {
    report_routes::table
        .inner_join(units::table)
        .filter(units::active.eq(true))
        .filter(report_routes::province.eq(province))
        .filter(report_routes::ward_key.eq_any([ward_key, ""]))
        // The ward's rule ('hoa xuan') sorts before the province's ('').
        .order(report_routes::ward_key.desc())
        .select(report_routes::unit_id)
        .first(conn)
        .optional()
}

/// Adds or replaces the rule for (province, ward).
pub fn set(
    conn: &mut PgConnection,
    province: &str,
    (ward_key, ward_name): (&str, &str),
    unit_id: i32,
) -> QueryResult<()> {
    diesel::insert_into(report_routes::table)
        .values((
            report_routes::province.eq(province),
            report_routes::ward_key.eq(ward_key),
            report_routes::ward_name.eq(ward_name),
            report_routes::unit_id.eq(unit_id),
        ))
        .on_conflict((report_routes::province, report_routes::ward_key))
        .do_update()
        .set((
            report_routes::unit_id.eq(unit_id),
            report_routes::ward_name.eq(ward_name),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn remove(conn: &mut PgConnection, province: &str, ward_key: &str) -> QueryResult<usize> {
    diesel::delete(
        report_routes::table
            .filter(report_routes::province.eq(province))
            .filter(report_routes::ward_key.eq(ward_key)),
    )
    .execute(conn)
}
