-- Exact counts of cases per (type, status), kept by statement-level triggers, so the
-- unfiltered tabs and dashboard figures of a supervisor need no scan of a million rows.
CREATE TABLE case_counts (
    case_type TEXT NOT NULL,
    status    TEXT NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (case_type, status)
);

INSERT INTO case_counts (case_type, status, n)
SELECT case_type, status, count(*) FROM cases GROUP BY case_type, status;

CREATE FUNCTION case_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER case_counts_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_counts_apply();
CREATE TRIGGER case_counts_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_counts_apply();
CREATE TRIGGER case_counts_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION case_counts_apply();
