//! One module per table: row structs and the queries on that table, nothing else.

pub mod api_token;
pub mod app_secret;
pub mod audit;
pub mod bank;
pub mod case;
pub mod case_count;
pub mod case_event;
pub mod case_recovery;
pub mod case_share;
pub mod case_tally;
pub mod case_transfer;
pub mod category;
pub mod data_request;
pub mod database;
pub mod deadline;
pub mod detail_request;
pub mod exhibit;
pub mod hot_identifier;
pub mod identifier;
pub mod identifier_link;
pub mod import_run;
pub mod legal_basis;
pub mod login_attempt;
pub mod mail_digest_run;
pub mod outbox;
pub mod rate_limit;
pub mod recovery_code;
pub mod report_notice;
pub mod report_route;
pub mod report_summary_run;
pub mod retention;
pub mod session;
pub mod submission;
pub mod unit;
pub mod user;

/// A closed set of codes stored as TEXT (with a CHECK constraint in SQL): the
/// enum of `code_enum!` plus its SQL mapping.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $prefix:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $crate::code_enum!($(#[$meta])* $name, $prefix { $($variant => $code),+ });
        $crate::sql_text!($name);
    };
}

/// The SQL mapping of a `code_enum!` type stored as TEXT: bound as its code,
/// read back by parsing it (an unknown code is an error, not a default). The
/// domain types stay free of diesel: diesel's derives write the impls for them
/// through a proxy (`foreign_derive`).
#[macro_export]
macro_rules! sql_text {
    ($name:ty) => {
        const _: () = {
            use diesel::deserialize::{self, FromSql};
            use diesel::pg::{Pg, PgValue};
            use diesel::serialize::{self, Output, ToSql};
            use diesel::sql_types::Text;

            #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
            #[diesel(foreign_derive, sql_type = Text)]
            #[allow(dead_code)]
            struct Proxy($name);

            impl ToSql<Text, Pg> for $name {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                    <str as ToSql<Text, Pg>>::to_sql(self.code(), out)
                }
            }

            impl FromSql<Text, Pg> for $name {
                fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                    let s = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                    s.parse().map_err(|_| {
                        format!(concat!("unknown ", stringify!($name), " {:?}"), s).into()
                    })
                }
            }
        };
    };
}
