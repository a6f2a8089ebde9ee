-- A unit that sees an identifier also reported elsewhere may ask that unit
-- for details; its supervisors answer by sharing chosen cases read-only
-- (revocable), or decline. Every step is audited.
CREATE TABLE detail_requests (
    id            BIGSERIAL PRIMARY KEY,
    identifier_id BIGINT NOT NULL REFERENCES identifiers (id),
    from_unit     INT NOT NULL REFERENCES units (id),
    to_unit       INT NOT NULL REFERENCES units (id),
    asked_by      BIGINT NOT NULL REFERENCES users (id),
    message       TEXT NOT NULL CHECK (char_length(message) BETWEEN 1 AND 2000),
    state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'declined')),
    answer        TEXT CHECK (char_length(answer) <= 2000),
    answered_by   BIGINT REFERENCES users (id),
    answered_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (from_unit <> to_unit)
);
CREATE INDEX detail_requests_to_idx ON detail_requests (to_unit, state, created_at);
CREATE INDEX detail_requests_from_idx ON detail_requests (from_unit, created_at DESC);

CREATE TABLE case_shares (
    id          BIGSERIAL PRIMARY KEY,
    request_id  BIGINT NOT NULL REFERENCES detail_requests (id),
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    shared_by   BIGINT NOT NULL REFERENCES users (id),
    shared_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_by  BIGINT REFERENCES users (id),
    revoked_at  TIMESTAMPTZ,
    UNIQUE (request_id, case_id)
);
