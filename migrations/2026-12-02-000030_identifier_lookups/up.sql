-- The bank check's counts for heavily reported identifiers, kept so that the
-- hottest mule account is one row to read, not its tens of thousands of links
-- (`docs/domain.md` §15).
--
-- Every change to an identifier's links (and a report marked spam or not)
-- bumps the identifier's generation in the same transaction; a kept count is
-- valid while its generation is the identifier's current one. A look-up that
-- computes a count reads the generation in the same snapshot as the links, so
-- a count stored with generation g holds exactly the links of generation g,
-- whatever commits meanwhile. Both tables are UNLOGGED: after a crash both are
-- empty together, which is consistent (every count is computed again).
CREATE UNLOGGED TABLE identifier_generations (
    identifier_id BIGINT PRIMARY KEY,
    gen BIGINT NOT NULL
);

CREATE UNLOGGED TABLE identifier_lookups (
    identifier_id BIGINT NOT NULL,
    -- A unit's id, or 0 for every unit (national analysts).
    scope INT NOT NULL,
    gen BIGINT NOT NULL,
    reports BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    loss BIGINT NOT NULL,
    PRIMARY KEY (identifier_id, scope)
);

-- In identifier order, so two writers lock the rows they share in one order.
CREATE FUNCTION identifier_generations_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO identifier_generations AS g (identifier_id, gen)
        SELECT DISTINCT identifier_id, 1 FROM new_rows ORDER BY 1
        ON CONFLICT (identifier_id) DO UPDATE SET gen = g.gen + 1;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO identifier_generations AS g (identifier_id, gen)
        SELECT identifier_id, 1 FROM (SELECT identifier_id FROM new_rows UNION SELECT identifier_id FROM old_rows) x
        ORDER BY 1
        ON CONFLICT (identifier_id) DO UPDATE SET gen = g.gen + 1;
    ELSE
        INSERT INTO identifier_generations AS g (identifier_id, gen)
        SELECT DISTINCT identifier_id, 1 FROM old_rows ORDER BY 1
        ON CONFLICT (identifier_id) DO UPDATE SET gen = g.gen + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER identifier_generations_insert AFTER INSERT ON identifier_links
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION identifier_generations_bump();
CREATE TRIGGER identifier_generations_update AFTER UPDATE ON identifier_links
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION identifier_generations_bump();
CREATE TRIGGER identifier_generations_delete AFTER DELETE ON identifier_links
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION identifier_generations_bump();

-- A report's links stop (or start) counting when it is marked spam (or no longer).
CREATE FUNCTION identifier_generations_spam() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO identifier_generations AS g (identifier_id, gen)
    SELECT DISTINCT l.identifier_id, 1
    FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN identifier_links l ON l.submission_id = n.id
    WHERE (n.status = 'spam') IS DISTINCT FROM (o.status = 'spam')
    ORDER BY 1
    ON CONFLICT (identifier_id) DO UPDATE SET gen = g.gen + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER identifier_generations_spam AFTER UPDATE ON submissions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION identifier_generations_spam();
