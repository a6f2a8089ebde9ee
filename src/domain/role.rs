//! Staff roles (`docs/domain.md` §1); what each may do is `auth::policy`.

crate::code_enum!(
    /// `docs/domain.md` §1.
    Role, "role" {
        Admin => "admin",
        Supervisor => "supervisor",
        Officer => "officer",
        NationalAnalyst => "national_analyst",
    }
);
