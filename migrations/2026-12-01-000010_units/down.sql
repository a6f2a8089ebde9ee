DROP INDEX identifier_links_identifier_unit_idx;
ALTER TABLE identifier_links DROP COLUMN unit_id;
DROP INDEX submissions_queue_idx;
CREATE INDEX submissions_queue_idx ON submissions (received_at, id) WHERE status IN ('new', 'info_requested');
ALTER TABLE submissions DROP COLUMN unit_id;
CREATE OR REPLACE FUNCTION case_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO case_counts AS c (case_type, status, n)
        SELECT case_type, status, -count(*) FROM old_rows GROUP BY case_type, status
        ON CONFLICT (case_type, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO case_counts AS c (case_type, status, n)
        SELECT case_type, status, count(*) FROM new_rows GROUP BY case_type, status
        ON CONFLICT (case_type, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END;
$$;
ALTER TABLE case_counts DROP CONSTRAINT case_counts_pkey;
DELETE FROM case_counts;
ALTER TABLE case_counts DROP COLUMN unit_id;
ALTER TABLE case_counts ADD PRIMARY KEY (case_type, status);
INSERT INTO case_counts (case_type, status, n) SELECT case_type, status, count(*) FROM cases GROUP BY 1, 2;
ALTER TABLE case_sequences DROP CONSTRAINT case_sequences_pkey;
ALTER TABLE case_sequences DROP COLUMN unit_id;
ALTER TABLE case_sequences ADD PRIMARY KEY (case_type, year);
DROP INDEX cases_unit_status_received_idx;
DROP INDEX cases_unit_received_idx;
ALTER TABLE cases DROP CONSTRAINT cases_unit_seq_key;
ALTER TABLE cases ADD CONSTRAINT cases_case_type_ref_year_ref_seq_key UNIQUE (case_type, ref_year, ref_seq);
ALTER TABLE cases DROP COLUMN unit_id;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'supervisor', 'officer'));
ALTER TABLE users DROP COLUMN unit_id;
DROP TABLE unit_names;
DROP TABLE units;
