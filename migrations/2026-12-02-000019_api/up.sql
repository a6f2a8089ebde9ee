-- The JSON API (docs/domain.md §15): tokens that act as their user,
-- narrowed by scopes, and service accounts that hold only tokens.

-- A service account (a bank's or the ministry's system) signs in only with
-- tokens: it has no usable password and is never offered as an assignee.
ALTER TABLE users ADD COLUMN service BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The first characters after "cdk_", shown in lists so a token can be
    -- recognised without being stored.
    prefix        TEXT NOT NULL,
    -- SHA-256 of the whole token: the only form of it the database holds.
    token_hash    BYTEA NOT NULL UNIQUE,
    scopes        TEXT[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY[
                      'cases:read', 'cases:write', 'submissions:read',
                      'identifiers:lookup', 'hotlist:read']::text[]),
    expires_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by    BIGINT REFERENCES users (id),
    -- Counted in memory and added here every few seconds (`api::Usage`).
    uses          BIGINT NOT NULL DEFAULT 0,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    revoked_by    BIGINT REFERENCES users (id)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, id DESC);

-- Which token an audited change came through (NULL: a signed-in page).
ALTER TABLE audit_log ADD COLUMN api_token_id BIGINT REFERENCES api_tokens (id);
