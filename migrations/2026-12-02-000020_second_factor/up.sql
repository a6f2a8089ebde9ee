-- A second factor (TOTP, RFC 6238) with single-use recovery codes, and
-- sessions that are only half-open until it is given (docs/domain.md §16).

-- The secret while enrolling (enabled_at NULL) and once enabled; the last
-- time step accepted, so a code is used once.
ALTER TABLE users
    ADD COLUMN totp_secret BYTEA,
    ADD COLUMN totp_enabled_at TIMESTAMPTZ,
    ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    -- SHA-256 of the normalised code: the code is shown once.
    code_hash   BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    used_at     TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id) WHERE used_at IS NULL;

-- 'full': signed in; 'second_factor': the password was right, the code is
-- still due (/login/2fa only); 'enrol': signed in but must set up a second
-- factor before any other page (REQUIRE_2FA_FOR).
ALTER TABLE sessions
    ADD COLUMN stage TEXT NOT NULL DEFAULT 'full' CHECK (stage IN ('full', 'second_factor', 'enrol'));
