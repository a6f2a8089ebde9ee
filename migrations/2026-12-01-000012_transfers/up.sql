-- A case passed from one unit to another (docs/domain.md §10): pending until
-- the receiving unit accepts it (the case moves, with everything attached, and
-- its legal clocks continue from the original receipt) or returns it with a
-- reason. The sending unit keeps this row as its read-only summary.
CREATE TABLE case_transfers (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    from_unit   INT NOT NULL REFERENCES units (id),
    to_unit     INT NOT NULL REFERENCES units (id),
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'returned')),
    note        TEXT NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    reason      TEXT CHECK (char_length(reason) BETWEEN 1 AND 2000),
    sent_by     BIGINT NOT NULL REFERENCES users (id),
    sent_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_by  BIGINT REFERENCES users (id),
    decided_at  TIMESTAMPTZ,
    -- What the sending unit keeps of the case once it has left.
    case_ref    TEXT NOT NULL,
    case_title  TEXT NOT NULL,
    CHECK (from_unit <> to_unit),
    CHECK ((state = 'returned') = (reason IS NOT NULL)),
    CHECK ((state = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX case_transfers_one_pending ON case_transfers (case_id) WHERE state = 'pending';
CREATE INDEX case_transfers_to_idx ON case_transfers (to_unit, state, sent_at);
CREATE INDEX case_transfers_from_idx ON case_transfers (from_unit, sent_at DESC);

ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge',
                    'watcher', 'reporter', 'submission', 'exhibit', 'identifier', 'transfer'));
