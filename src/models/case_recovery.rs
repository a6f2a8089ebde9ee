//! `case_recoveries`: money frozen at a bank or returned to victims, per case,
//! with the date and the bank or agency.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::schema::case_recoveries;

crate::text_enum!(
    /// Frozen (phong tỏa) or returned to victims (trả lại cho bị hại).
    RecoveryKind, "recovery" {
        Frozen => "frozen",
        Returned => "returned",
    }
);

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = case_recoveries, check_for_backend(diesel::pg::Pg))]
pub struct Recovery {
    pub id: i64,
    pub case_id: i64,
    pub kind: RecoveryKind,
    pub amount: i64,
    pub on_date: NaiveDate,
    pub bank_code: Option<String>,
    pub agency: Option<String>,
    pub note: Option<String>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = case_recoveries)]
pub struct NewRecovery {
    pub case_id: i64,
    pub kind: RecoveryKind,
    pub amount: i64,
    pub on_date: NaiveDate,
    pub bank_code: Option<String>,
    pub agency: Option<String>,
    pub note: Option<String>,
    pub created_by: i64,
}

pub fn insert(conn: &mut PgConnection, r: &NewRecovery) -> QueryResult<Recovery> {
    diesel::insert_into(case_recoveries::table)
        .values(r)
        .returning(Recovery::as_returning())
        .get_result(conn)
}

pub fn of_case(conn: &mut PgConnection, case_id: i64) -> QueryResult<Vec<Recovery>> {
    case_recoveries::table
        .filter(case_recoveries::case_id.eq(case_id))
        .order((case_recoveries::on_date.asc(), case_recoveries::id.asc()))
        .select(Recovery::as_select())
        .load(conn)
}

/// Removes one row of this case (a mistaken entry), returning it.
pub fn delete(conn: &mut PgConnection, case_id: i64, id: i64) -> QueryResult<Recovery> {
    diesel::delete(
        case_recoveries::table
            .filter(case_recoveries::id.eq(id))
            .filter(case_recoveries::case_id.eq(case_id)),
    )
    .returning(Recovery::as_returning())
    .get_result(conn)
}
