-- Identifier correlation (docs/domain.md §7) and case evidence with its chain of custody.

-- One row per identifier and report. A submission's links take the case it was
-- triaged into, so a report counts once whether it is still in intake or in a case.
UPDATE identifier_links l SET case_id = s.case_id
    FROM submissions s
    WHERE l.submission_id = s.id AND s.case_id IS NOT NULL AND l.case_id IS NULL;
DELETE FROM identifier_links c USING identifier_links s
    WHERE c.submission_id IS NULL AND c.source = 'reporter'
      AND s.submission_id IS NOT NULL AND s.case_id = c.case_id
      AND s.identifier_id = c.identifier_id;

ALTER TABLE identifier_links
    -- When the report was received (not when the link was written): what "first
    -- seen", "last seen" and the hot list windows mean.
    ADD COLUMN reported_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Loss the report says went to or through this identifier, in đồng.
    ADD COLUMN amount BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
    -- The reporter's normalised phone or e-mail, to count distinct reporters.
    ADD COLUMN reporter_key TEXT CHECK (char_length(reporter_key) <= 300),
    -- Written from the case form's fields (re-derived on each save), as opposed
    -- to added or confirmed one by one.
    ADD COLUMN from_form BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN added_by BIGINT REFERENCES users (id),
    -- The report: the case, or the submission while it is not in a case.
    ADD COLUMN report_key BIGINT GENERATED ALWAYS AS (COALESCE(case_id, -submission_id)) STORED;

UPDATE identifier_links l SET reported_at = s.received_at
    FROM submissions s WHERE l.submission_id = s.id;
UPDATE identifier_links l SET reported_at = c.received_at, from_form = (l.source = 'officer')
    FROM cases c WHERE l.submission_id IS NULL AND l.case_id = c.id;

CREATE UNIQUE INDEX identifier_links_submission_uniq
    ON identifier_links (identifier_id, submission_id) WHERE submission_id IS NOT NULL;
CREATE UNIQUE INDEX identifier_links_case_uniq
    ON identifier_links (identifier_id, case_id) WHERE submission_id IS NULL;
-- The identifier page and "seen in N other" counts read every report of one identifier.
DROP INDEX identifier_links_identifier_idx;
CREATE INDEX identifier_links_identifier_idx
    ON identifier_links (identifier_id) INCLUDE (report_key, case_id, submission_id, reported_at, amount);
-- The hot list: reports of the last 7/30/90 days by identifier.
CREATE INDEX identifier_links_reported_idx
    ON identifier_links (reported_at) INCLUDE (identifier_id, report_key, case_id, submission_id);

-- Exhibits: every file that is evidence in a case, from an officer or from the
-- public portal (then the same stored file, received time and hash as the submission's).
CREATE TABLE exhibits (
    id                  BIGSERIAL PRIMARY KEY,
    case_id             BIGINT NOT NULL REFERENCES cases (id),
    storage_id          TEXT NOT NULL,
    sha256              TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes          BIGINT NOT NULL CHECK (size_bytes > 0),
    detected_type       TEXT NOT NULL,
    original_name       TEXT NOT NULL CHECK (char_length(original_name) BETWEEN 1 AND 255),
    kind                TEXT NOT NULL DEFAULT 'evidence' CHECK (kind IN ('evidence', 'final_report')),
    source              TEXT NOT NULL CHECK (source IN ('reporter', 'officer')),
    description         TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    exhibit_no          TEXT CHECK (char_length(exhibit_no) BETWEEN 1 AND 40),
    seal_no             TEXT CHECK (char_length(seal_no) BETWEEN 1 AND 40),
    received_at         TIMESTAMPTZ NOT NULL,
    -- The officer who received it; NULL for a reporter's upload.
    received_by         BIGINT REFERENCES users (id),
    submission_file_id  BIGINT UNIQUE REFERENCES submission_files (id),
    withdrawn_at        TIMESTAMPTZ,
    withdrawn_by        BIGINT REFERENCES users (id),
    withdrawn_reason    TEXT CHECK (char_length(withdrawn_reason) BETWEEN 1 AND 1000),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_reason IS NULL))
);
CREATE INDEX exhibits_case_idx ON exhibits (case_id, id);
CREATE UNIQUE INDEX exhibits_number_uniq ON exhibits (case_id, exhibit_no) WHERE exhibit_no IS NOT NULL;

-- What is recorded about an exhibit never changes; only a withdrawal is added,
-- once. Files and rows are never deleted by the application.
CREATE FUNCTION exhibits_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'exhibits are never deleted';
    END IF;
    IF (NEW.case_id, NEW.storage_id, NEW.sha256, NEW.size_bytes, NEW.detected_type, NEW.original_name,
        NEW.kind, NEW.source, NEW.received_at, NEW.received_by, NEW.submission_file_id)
       IS DISTINCT FROM
       (OLD.case_id, OLD.storage_id, OLD.sha256, OLD.size_bytes, OLD.detected_type, OLD.original_name,
        OLD.kind, OLD.source, OLD.received_at, OLD.received_by, OLD.submission_file_id)
       OR (OLD.withdrawn_at IS NOT NULL AND
           (NEW.withdrawn_at, NEW.withdrawn_by, NEW.withdrawn_reason)
           IS DISTINCT FROM (OLD.withdrawn_at, OLD.withdrawn_by, OLD.withdrawn_reason)) THEN
        RAISE EXCEPTION 'exhibit % is recorded as received and cannot be rewritten', OLD.id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER exhibits_guard BEFORE UPDATE OR DELETE ON exhibits
    FOR EACH ROW EXECUTE FUNCTION exhibits_guard();

-- The chain of custody: append-only.
CREATE TABLE custody_events (
    id           BIGSERIAL PRIMARY KEY,
    exhibit_id   BIGINT NOT NULL REFERENCES exhibits (id),
    action       TEXT NOT NULL CHECK (action IN ('received', 'viewed', 'downloaded', 'verified',
                                                  'exported', 'withdrawn', 'refused')),
    actor_id     BIGINT REFERENCES users (id),
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    ip           TEXT CHECK (char_length(ip) <= 60),
    -- Why (downloads, exports, withdrawals): stated by the officer.
    purpose      TEXT CHECK (char_length(purpose) <= 1000),
    -- For verifications and refused downloads: whether the bytes matched.
    hash_ok      BOOLEAN,
    sha256_seen  TEXT CHECK (sha256_seen ~ '^[0-9a-f]{64}$'),
    detail       TEXT CHECK (char_length(detail) <= 1000)
);
CREATE INDEX custody_events_exhibit_idx ON custody_events (exhibit_id, id);
CREATE FUNCTION custody_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the chain of custody is append-only';
END $$;
CREATE TRIGGER custody_events_no_update_delete BEFORE UPDATE OR DELETE ON custody_events
    FOR EACH ROW EXECUTE FUNCTION custody_events_immutable();
CREATE TRIGGER custody_events_no_truncate BEFORE TRUNCATE ON custody_events
    FOR EACH STATEMENT EXECUTE FUNCTION custody_events_immutable();

ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge',
                    'watcher', 'reporter', 'submission', 'exhibit', 'identifier'));

-- "Final report attached" is now an exhibit of kind final_report.
ALTER TABLE cases DROP COLUMN final_report_attached;

-- Search by an account or wallet number written without its bank or provider
-- ("0011004455667" finds VCB:0011004455667 and MB:0011004455667).
CREATE INDEX identifiers_bare_idx ON identifiers ((split_part(value, ':', 2)));

-- The hot list, computed ahead (a 90-day window reads ~0.5 M links) by the
-- housekeeping of any instance and read by the page in a millisecond.
CREATE TABLE hot_identifiers (
    days           SMALLINT NOT NULL CHECK (days IN (7, 30, 90)),
    rank           SMALLINT NOT NULL CHECK (rank >= 1),
    identifier_id  BIGINT NOT NULL REFERENCES identifiers (id),
    reports        BIGINT NOT NULL,
    loss           BIGINT NOT NULL,
    last_seen      TIMESTAMPTZ,
    PRIMARY KEY (days, rank)
);
CREATE TABLE hot_list_runs (
    days         SMALLINT PRIMARY KEY CHECK (days IN (7, 30, 90)),
    computed_at  TIMESTAMPTZ NOT NULL
);
