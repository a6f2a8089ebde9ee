//! Why someone looks up a reporter's or victim's details (`docs/domain.md`
//! §19): every search by them, and every view of them, is audited with one
//! of these, chosen on the search form.

crate::code_enum!(
    /// Taking or handling the report (the caller on the phone); verifying or
    /// investigating a case; the data subject's own request to see or correct
    /// their data; a request from another competent body.
    Purpose, "purpose" {
        Handling => "handling",
        Verification => "verification",
        DataRequest => "data_request",
        AgencyRequest => "agency_request",
    }
);

impl Purpose {
    /// The purpose as sent by a form, `default` when none was chosen; an
    /// unknown value is `None` (the form says so and nothing is searched).
    pub fn from_form(v: &str, default: Purpose) -> Option<Purpose> {
        match v.trim() {
            "" => Some(default),
            v => v.parse().ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_choice_is_the_default_and_an_unknown_one_is_refused() {
        assert_eq!(
            Purpose::from_form("", Purpose::Handling),
            Some(Purpose::Handling)
        );
        assert_eq!(
            Purpose::from_form("data_request", Purpose::Handling),
            Some(Purpose::DataRequest)
        );
        assert_eq!(Purpose::from_form("curiosity", Purpose::Handling), None);
    }
}
