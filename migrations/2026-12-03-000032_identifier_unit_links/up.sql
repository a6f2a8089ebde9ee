-- The top identifiers of any period without counting every link of the
-- period (`docs/domain.md` §13, "Top identifiers"): each identifier's
-- non-victim links per unit, over all time, kept by trigger. A period's
-- reports of an identifier are never more than its links, so the ranking
-- walks identifiers by this bound and counts exactly only those that could
-- still be in the top; it falls back to counting the period when the bound
-- does not settle it. A logged table: after a crash the bound must still hold.
CREATE TABLE identifier_unit_links (
    unit_id INT NOT NULL,
    identifier_id BIGINT NOT NULL,
    links BIGINT NOT NULL,
    PRIMARY KEY (unit_id, identifier_id)
);

INSERT INTO identifier_unit_links (unit_id, identifier_id, links)
SELECT unit_id, identifier_id, count(*) FROM identifier_links WHERE role <> 'victim' GROUP BY 1, 2;

CREATE INDEX identifier_unit_links_most ON identifier_unit_links (unit_id, links DESC, identifier_id);

-- In (unit, identifier) order, so two writers lock the rows they share in one order.
CREATE FUNCTION identifier_unit_links_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO identifier_unit_links AS t (unit_id, identifier_id, links)
        SELECT unit_id, identifier_id, count(*) FROM new_rows WHERE role <> 'victim' GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (unit_id, identifier_id) DO UPDATE SET links = t.links + EXCLUDED.links;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO identifier_unit_links AS t (unit_id, identifier_id, links)
        SELECT unit_id, identifier_id, sum(n) FROM (
            SELECT unit_id, identifier_id, 1 AS n FROM new_rows WHERE role <> 'victim'
            UNION ALL
            SELECT unit_id, identifier_id, -1 FROM old_rows WHERE role <> 'victim') d
        GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2
        ON CONFLICT (unit_id, identifier_id) DO UPDATE SET links = t.links + EXCLUDED.links;
    ELSE
        INSERT INTO identifier_unit_links AS t (unit_id, identifier_id, links)
        SELECT unit_id, identifier_id, -count(*) FROM old_rows WHERE role <> 'victim' GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (unit_id, identifier_id) DO UPDATE SET links = t.links + EXCLUDED.links;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER identifier_unit_links_insert AFTER INSERT ON identifier_links
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION identifier_unit_links_count();
CREATE TRIGGER identifier_unit_links_update AFTER UPDATE ON identifier_links
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION identifier_unit_links_count();
CREATE TRIGGER identifier_unit_links_delete AFTER DELETE ON identifier_links
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION identifier_unit_links_count();

-- The exact count of a few identifiers (the ranking's candidates, and the
-- bank check) reads the index alone: unit and role were fetched from the
-- table for every link.
DROP INDEX identifier_links_identifier_idx;
CREATE INDEX identifier_links_identifier_idx ON identifier_links (identifier_id)
    INCLUDE (report_key, merged_into, case_id, submission_id, reported_at, amount, unit_id, role);
