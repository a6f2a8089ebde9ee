//! The public reporting portal: what citizens and organisations send, checked,
//! stored and tracked. One file per job.

mod guards;
mod receive;
mod track;
mod validate;

pub use guards::{
    challenge, draft_ok, form_stamp, new_draft, number_words, Challenge, Guards, Refusal,
};
pub use receive::{
    expire_staged, receipt, receipt_token, receive, remove_files, secret_view, Receipt,
};
pub use track::{add_information, data_request, grant, granted, track, tracked, Tracked};
pub use validate::{FIRST_CONTACT, ID_ROWS, TX_ROWS};
