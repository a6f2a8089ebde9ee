-- The handover import (docs/domain.md §14): each upload, dry run and import
-- is a run; each imported case remembers its source and the old register's
-- number, so a second run of the same file creates nothing.
CREATE TABLE import_runs (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('upload', 'dry_run', 'import')),
    upload_id     BIGINT REFERENCES import_runs (id),
    unit_id       INT NOT NULL REFERENCES units (id),
    source        TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    file_name     TEXT NOT NULL,
    file_key      TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    file_size     BIGINT NOT NULL,
    format        TEXT NOT NULL DEFAULT '',
    mapping       TEXT NOT NULL DEFAULT '',
    link_suggestions BOOLEAN NOT NULL DEFAULT FALSE,
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    via           TEXT NOT NULL CHECK (via IN ('web', 'cli')),
    started_by    BIGINT REFERENCES users (id),
    rows_total    INT,
    rows_done     INT NOT NULL DEFAULT 0,
    created       INT NOT NULL DEFAULT 0,
    already       INT NOT NULL DEFAULT 0,
    differing     INT NOT NULL DEFAULT 0,
    rejected      INT NOT NULL DEFAULT 0,
    -- The rows worth reading (rejected, differing; for a dry run the first
    -- creations too), bounded; every rejected row is in the errors file.
    report        JSONB NOT NULL DEFAULT '[]',
    error         TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Written with each batch: a run silent for ten minutes was interrupted.
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);
CREATE INDEX import_runs_recent_idx ON import_runs (created_at DESC);

CREATE TABLE case_imports (
    case_id     BIGINT PRIMARY KEY REFERENCES cases (id),
    unit_id     INT NOT NULL REFERENCES units (id),
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    run_id      BIGINT NOT NULL REFERENCES import_runs (id),
    row_no      INT NOT NULL,
    -- The row as read (field code → text), to tell a changed row from the same.
    data        JSONB NOT NULL,
    UNIQUE (unit_id, source, external_id)
);

ALTER TABLE identifier_links DROP CONSTRAINT identifier_links_source_check;
ALTER TABLE identifier_links ADD CONSTRAINT identifier_links_source_check
    CHECK (source IN ('reporter', 'officer', 'extracted', 'imported'));

ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge',
                    'watcher', 'reporter', 'submission', 'exhibit', 'identifier', 'transfer', 'recovery',
                    'imported'));
