//! Case pages: the list, the form, the case page and its actions.

mod actions;
mod form;
mod list;
mod print;
mod show;

pub use actions::{
    add_note, add_recovery, answer_data_request, assign, extend, hold, link, merge, release_hold,
    remove_recovery, take, transition, watchers, AssignForm, ExtendForm, MoveForm, NoteForm,
    OtherCaseForm, WatcherForm,
};
pub use form::{create, edit_form, new_form, update};
pub use list::{export, index};
pub use print::{print_file, print_intake_record, print_outcome_notice, PrintQuery};
pub(crate) use show::show_with_errors;
pub use show::{show, ShowQuery};
