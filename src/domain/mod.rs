//! The domain floor: the values the unit works with and the rules on them, as
//! plain Rust. Nothing here touches the database or HTTP (no diesel, no actix),
//! so every module above may use it and it imports nothing of the app but the
//! message catalogues (`i18n`). See `docs/architecture.md`.

pub mod audit_chain;
pub mod case;
pub mod code;
pub mod form;
pub mod ident;
pub mod import;
pub mod law;
pub mod period;
pub mod purpose;
pub mod redact;
pub mod role;
pub mod scope;
pub mod second_factor;
pub mod sign;
pub mod submission;
pub mod text;
pub mod token;
pub mod unit;
pub mod value;
pub mod workflow;

/// Where a request came from, for audit rows and throttling.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: String,
    /// The API token the request came with (its audit rows name it).
    pub api_token_id: Option<i64>,
}

/// A closed set of codes: the Rust enum, its code, its catalogue label key
/// `<prefix>-<code>` and parsing, written once instead of per enum. Stored
/// codes get their SQL mapping from `models` (`sql_text!`), not here.
#[macro_export]
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $prefix:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    };
}
