-- A reporter's request to see or correct their personal data, made on the
-- tracking page (docs/domain.md §19): a task for the case's assignee, never
-- an automatic change.
CREATE TABLE data_requests (
    id            BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id),
    kind          TEXT NOT NULL CHECK (kind IN ('access', 'correction')),
    body          TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
    answer        TEXT CHECK (char_length(answer) <= 2000),
    done_by       BIGINT REFERENCES users (id),
    done_at       TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((state = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX data_requests_submission_idx ON data_requests (submission_id, created_at);
