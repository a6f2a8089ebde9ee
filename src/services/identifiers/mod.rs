//! Identifiers in the database (`docs/domain.md` §7): linking them to the
//! reports they appear in, and the correlation the unit works from — "this
//! account was reported by 14 victims for 1.2 billion đồng" — always counted
//! over what the user may open. Storage is `models::identifier_link`; each
//! file here is one job.

mod correlate;
mod export;
mod hot_list;
mod links;
mod page;
mod search;

use diesel::prelude::*;

use crate::domain::ident::extract::Bank;
pub use crate::domain::ident::normalise::*;
pub use crate::models::hot_identifier::{refresh as refresh_hot, Hot, HOT_KEEP};
pub use crate::models::identifier::Found;
pub use crate::models::identifier_link::{
    hits_for_submission, link, move_to_case, Hit, NewLink, Report, ROLES,
};
pub use correlate::{for_case, suggestions, with_links, Correlated};
pub use export::{case_csv, csv_safe, hot_csv, stix_bundle, stix_pattern, stix_tlp};
pub use hot_list::{
    hot, hot_export, refresh_hot_lists, scope_of, HOT_MAX_AGE_MINUTES, HOT_WINDOWS,
};
pub use links::{add, add_to_case, remove, sync_case, AddForm};
pub use page::{page, IdentifierPage, ReportRow, PAGE_SIZE};
pub use search::{audit_victim_search, search};

/// The bank code of what an officer or reporter wrote: a code, a short name or
/// an old name ("Vietcombank", "vcb", "LienVietPostBank").
pub fn resolve_bank(conn: &mut PgConnection, written: &str) -> QueryResult<Option<String>> {
    Ok(bank_code_in(&crate::models::bank::names(conn)?, written))
}

/// `resolve_bank` over a list already loaded (several rows of one form).
pub(crate) fn bank_code_in(banks: &[Bank], written: &str) -> Option<String> {
    crate::domain::ident::extract::resolve_bank(banks, written).map(|b| b.code.clone())
}

/// Who reported, for counting distinct reporters: their phone, else e-mail.
pub fn reporter_key(phone_raw: Option<&str>, email_raw: Option<&str>) -> Option<String> {
    phone_raw
        .and_then(phone)
        .or_else(|| email_raw.and_then(email).map(|e| e.to_lowercase()))
}
