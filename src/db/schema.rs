// @generated-shape: matches `diesel print-schema` for migrations/ (kept by hand until diesel_cli is on the build machine).

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Int8>,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        detail -> Jsonb,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Int8,
        email -> Text,
        ip -> Text,
        outcome -> Text,
        at -> Timestamptz,
    }
}

diesel::table! {
    login_lockouts (email) {
        email -> Text,
        locked_until -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Bytea,
        csrf_token -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        full_name -> Text,
        role -> Text,
        team -> Nullable<Text>,
        on_duty -> Bool,
        lang -> Text,
        active -> Bool,
        must_change_password -> Bool,
        password_hash -> Text,
        password_changed_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_log,
    login_attempts,
    login_lockouts,
    sessions,
    users,
);
