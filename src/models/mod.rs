//! One module per table: row structs and the queries on that table, nothing else.

pub mod audit;
pub mod bank;
pub mod case;
pub mod case_event;
pub mod category;
pub mod deadline;
pub mod exhibit;
pub mod login_attempt;
pub mod outbox;
pub mod session;
pub mod submission;
pub mod user;

/// A closed set of codes stored as TEXT (with a CHECK constraint in SQL): the Rust
/// enum, its code, its catalogue label key `<prefix>-<code>`, parsing and diesel
/// mapping, written once instead of per enum.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $prefix:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Catalogue key of the label.
            pub fn label_key(self) -> &'static str {
                match self { $($name::$variant => concat!($prefix, "-", $code)),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($code => Ok($name::$variant),)+ _ => Err(()) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.code(), out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
                s.parse().map_err(|_| format!(concat!("unknown ", stringify!($name), " {:?}"), s).into())
            }
        }
    };
}
