-- Many units, one system (docs/domain.md §10): police units as records, with the
-- names they went by over time; users, cases, public reports and identifier links
-- belong to a unit.
CREATE TABLE units (
    id            SERIAL PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
    kind          TEXT NOT NULL CHECK (kind IN ('ministry_department', 'provincial_police', 'cyber_division', 'commune_police')),
    parent_id     INT REFERENCES units (id),
    ref_prefix    TEXT NOT NULL UNIQUE CHECK (ref_prefix ~ '^[A-Z0-9]{1,12}$'),
    time_zone     TEXT NOT NULL DEFAULT 'Asia/Ho_Chi_Minh',
    -- How another unit reaches this one about a shared identifier.
    contact       TEXT NOT NULL DEFAULT '' CHECK (length(contact) <= 300),
    active        BOOLEAN NOT NULL DEFAULT true,
    -- The first unit takes its name and prefix from UNIT_NAME and REF_PREFIX on
    -- the first start after this migration, then only from /admin/units.
    from_settings BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);

-- A unit's name from a date on: a record prints the name of its date.
CREATE TABLE unit_names (
    unit_id    INT NOT NULL REFERENCES units (id),
    valid_from DATE NOT NULL,
    name_vi    TEXT NOT NULL CHECK (length(name_vi) BETWEEN 1 AND 200),
    name_en    TEXT NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    PRIMARY KEY (unit_id, valid_from)
);

-- The one unit so far: its prefix and name as the latest case has them.
INSERT INTO units (id, code, kind, ref_prefix, from_settings)
SELECT 1, p, 'cyber_division', p, true
FROM (SELECT coalesce((SELECT split_part(ref, '-', 1) FROM cases ORDER BY id DESC LIMIT 1), 'PA05') AS p) one;
INSERT INTO unit_names (unit_id, valid_from, name_vi, name_en)
SELECT 1, DATE '1900-01-01', n, n
FROM (SELECT coalesce((SELECT unit_name FROM cases ORDER BY id DESC LIMIT 1),
                      'Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao') AS n) one;
SELECT setval('units_id_seq', 1);

-- Roles apply within a unit; the national analyst reads correlation across units.
ALTER TABLE users ADD COLUMN unit_id INT NOT NULL DEFAULT 1 REFERENCES units (id);
ALTER TABLE users ALTER COLUMN unit_id DROP DEFAULT;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'supervisor', 'officer', 'national_analyst'));

ALTER TABLE cases ADD COLUMN unit_id INT NOT NULL DEFAULT 1 REFERENCES units (id);
ALTER TABLE cases ALTER COLUMN unit_id DROP DEFAULT;
-- References are numbered per unit, type and year.
ALTER TABLE cases DROP CONSTRAINT cases_case_type_ref_year_ref_seq_key;
ALTER TABLE cases ADD CONSTRAINT cases_unit_seq_key UNIQUE (unit_id, case_type, ref_year, ref_seq);
CREATE INDEX cases_unit_received_idx ON cases (unit_id, received_at DESC, id DESC);
CREATE INDEX cases_unit_status_received_idx ON cases (unit_id, status, received_at DESC, id DESC);

ALTER TABLE case_sequences ADD COLUMN unit_id INT NOT NULL DEFAULT 1 REFERENCES units (id);
ALTER TABLE case_sequences ALTER COLUMN unit_id DROP DEFAULT;
ALTER TABLE case_sequences DROP CONSTRAINT case_sequences_pkey;
ALTER TABLE case_sequences ADD PRIMARY KEY (unit_id, case_type, year);

-- Exact counts per unit.
ALTER TABLE case_counts ADD COLUMN unit_id INT NOT NULL DEFAULT 1 REFERENCES units (id);
ALTER TABLE case_counts ALTER COLUMN unit_id DROP DEFAULT;
ALTER TABLE case_counts DROP CONSTRAINT case_counts_pkey;
ALTER TABLE case_counts ADD PRIMARY KEY (unit_id, case_type, status);
CREATE OR REPLACE FUNCTION case_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO case_counts AS c (unit_id, case_type, status, n)
        SELECT unit_id, case_type, status, -count(*) FROM old_rows GROUP BY unit_id, case_type, status
        ON CONFLICT (unit_id, case_type, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO case_counts AS c (unit_id, case_type, status, n)
        SELECT unit_id, case_type, status, count(*) FROM new_rows GROUP BY unit_id, case_type, status
        ON CONFLICT (unit_id, case_type, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END;
$$;

-- A public report goes to a unit's intake.
ALTER TABLE submissions ADD COLUMN unit_id INT NOT NULL DEFAULT 1 REFERENCES units (id);
ALTER TABLE submissions ALTER COLUMN unit_id DROP DEFAULT;
DROP INDEX submissions_queue_idx;
CREATE INDEX submissions_queue_idx ON submissions (unit_id, received_at, id) WHERE status IN ('new', 'info_requested');

-- Each link carries the unit of its case or report, so "also reported in K other
-- units" is one index range, never a join over other units' cases.
ALTER TABLE identifier_links ADD COLUMN unit_id INT NOT NULL DEFAULT 1 REFERENCES units (id);
ALTER TABLE identifier_links ALTER COLUMN unit_id DROP DEFAULT;
CREATE INDEX identifier_links_identifier_unit_idx ON identifier_links (identifier_id, unit_id);
