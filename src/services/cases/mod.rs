//! Case management: intake, edits with field history, workflow moves, assignment,
//! notes, deadlines, links, merges and watchers. Every change runs in one
//! transaction with its timeline entries and audit row. One file per job.

mod activity;
mod edit;
mod form;
mod moves;
mod print;
pub mod recoveries;
mod validate;
mod view;

pub use activity::{
    add_note, link, log_reporter_view, merge, record_reporter_addition, set_watcher,
};
pub use edit::{create, update};
pub use form::{CaseForm, TxRow, BLANK_TX_ROWS, MAX_TX_ROWS};
pub use moves::{assign, extend, transition, MoveInput};
pub use print::{
    case_file, finding, has_outcome_notice, official_doc, CaseFile, CustodySummary, DocKind,
    Finding, OfficialDoc,
};
pub use validate::{search_extra, tx_field, validate, ValidCase, MAX_AMOUNT};
pub use view::{view, CaseView, ClockView};
