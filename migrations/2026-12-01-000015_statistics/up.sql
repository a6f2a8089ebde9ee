-- Statistics (docs/domain.md §13): when each case was classified, assigned and
-- decided, whether a crime report was decided in time, money frozen and
-- returned, and day-by-day tallies kept by a trigger so a year's figures for a
-- unit read a few thousand rows instead of every case.

ALTER TABLE cases
    ADD COLUMN classified_at     TIMESTAMPTZ,
    ADD COLUMN assigned_at       TIMESTAMPTZ,
    -- The last decision (resolved, transferred, suspended, closed); cleared on reopening.
    ADD COLUMN decided_at        TIMESTAMPTZ,
    -- Crime reports: decided by the first due date, within an extension, or late.
    ADD COLUMN decide_compliance TEXT CHECK (decide_compliance IN ('in_time', 'extended', 'late'));

-- The due date before any extension, so "in time without extension" can be told.
ALTER TABLE case_deadlines ADD COLUMN first_due_at TIMESTAMPTZ;
UPDATE case_deadlines SET first_due_at = due_at WHERE extensions = 0;

-- Existing cases: the moments from their timelines, else what their status implies.
UPDATE cases c SET
    classified_at = e.classified,
    assigned_at = e.assigned,
    decided_at = CASE WHEN c.status IN ('resolved', 'closed', 'transferred', 'suspended') THEN coalesce(e.decided, c.updated_at) END
FROM (
    SELECT case_id,
        min(at) FILTER (WHERE kind = 'status' AND old_value = 'new') AS classified,
        min(at) FILTER (WHERE kind = 'assignment') AS assigned,
        max(at) FILTER (WHERE kind = 'status' AND new_value IN ('resolved', 'closed', 'transferred', 'suspended')) AS decided
    FROM case_events GROUP BY case_id
) e
WHERE e.case_id = c.id;
UPDATE cases c SET decide_compliance = CASE
        WHEN c.decided_at <= coalesce(d.first_due_at, d.due_at) AND d.extensions = 0 THEN 'in_time'
        WHEN c.decided_at <= d.due_at THEN 'extended'
        ELSE 'late' END
FROM case_deadlines d
WHERE d.case_id = c.id AND d.kind = 'decide' AND c.case_type = 'crime_report' AND c.decided_at IS NOT NULL;

CREATE INDEX cases_unit_decided_idx ON cases (unit_id, decided_at) WHERE decided_at IS NOT NULL;
-- "Overdue now" per unit and type without reading every open case.
CREATE INDEX cases_unit_deadline_idx ON cases (unit_id, case_type, deadline_at) INCLUDE (status)
    WHERE deadline_at IS NOT NULL;

-- Money frozen at a bank or returned to victims, with the date and who did it.
CREATE TABLE case_recoveries (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    kind        TEXT NOT NULL CHECK (kind IN ('frozen', 'returned')),
    amount      BIGINT NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
    on_date     DATE NOT NULL,
    bank_code   TEXT CHECK (char_length(bank_code) <= 20),
    agency      TEXT CHECK (char_length(agency) <= 300),
    note        TEXT CHECK (char_length(note) <= 1000),
    created_by  BIGINT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (bank_code IS NOT NULL OR agency IS NOT NULL)
);
CREATE INDEX case_recoveries_case_idx ON case_recoveries (case_id);
CREATE INDEX case_recoveries_date_idx ON case_recoveries (on_date);

ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge',
                    'watcher', 'reporter', 'submission', 'exhibit', 'identifier', 'transfer', 'recovery'));

-- Durations in bands 10% wide (band b holds 1.1^(b-1) to 1.1^b minutes), so
-- medians and 90th percentiles are summed, not sorted, within 5%.
CREATE FUNCTION case_time_band(seconds DOUBLE PRECISION) RETURNS SMALLINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN seconds IS NULL OR seconds < 60 THEN 0
                ELSE least(1 + floor(ln(seconds / 60.0) / ln(1.1)), 32000) END::smallint
$$;

-- The scopes a case is counted in: the unit, and each filter the page offers alone.
CREATE FUNCTION case_tally_scopes(c cases) RETURNS TABLE (scope TEXT)
LANGUAGE sql IMMUTABLE AS $$
    SELECT v.scope FROM (VALUES (''), ('cat:' || c.category_id), ('cat:' || c.subcategory_id),
                                ('chan:' || c.channel), ('team:' || c.team)) v (scope)
    WHERE v.scope IS NOT NULL
$$;

-- What one case adds to the tallies: the single definition of every figure on
-- /stats. The trigger sums it into case_tallies; an officer's figures, and
-- those with a filter the tallies do not hold, run it over the cases directly.
-- A merged case adds nothing to the counts (its survivor is the report); money
-- frozen or returned on it was still frozen or returned, so that stays.
CREATE FUNCTION case_tally_parts(c cases)
RETURNS TABLE (unit_id INT, scope TEXT, day DATE, case_type TEXT, measure TEXT, dim TEXT, key TEXT, band SMALLINT, n BIGINT, amount BIGINT)
LANGUAGE sql STABLE AS $$
    -- Every part once for the whole unit (scope '') and once for each filter
    -- the page offers alone: the case's category and subcategory ("cat:"), its
    -- channel ("chan:") and its team ("team:"), so a filtered year reads the
    -- tallies too. Two filters at once are computed over the cases.
    SELECT p.unit_id, s.scope, p.day, p.case_type, p.measure, p.dim, p.key, p.band, p.n, p.amount
    FROM (
    SELECT c.unit_id, (x.at AT TIME ZONE u.time_zone)::date, c.case_type, x.measure, x.dim, x.key, x.band, x.n, x.amount
    FROM units u,
    LATERAL (SELECT CASE WHEN c.status IN ('resolved', 'closed', 'transferred', 'suspended') THEN c.decided_at END AS decided) d,
    LATERAL (VALUES
        ('received', 'all', '', c.received_at, 0::smallint, 1::bigint, c.total_loss),
        ('received', 'category', coalesce(c.category_id::text, ''), c.received_at, 0::smallint, 1::bigint, c.total_loss),
        ('received', 'subcategory', coalesce(c.subcategory_id::text, ''), CASE WHEN c.subcategory_id IS NOT NULL THEN c.received_at END, 0::smallint, 1::bigint, c.total_loss),
        ('received', 'channel', c.channel, c.received_at, 0::smallint, 1::bigint, c.total_loss),
        -- Security incidents by the affected system's security level (Decree 85/2016).
        ('received', 'level', coalesce(c.system_security_level::text, ''),
            CASE WHEN c.case_type = 'security_incident' THEN c.received_at END, 0::smallint, 1::bigint, 0::bigint),
        ('decided', 'all', '', d.decided, 0::smallint, 1::bigint, c.total_loss),
        ('decided', 'result', CASE WHEN c.status IN ('resolved', 'closed') THEN coalesce(c.outcome, 'none') ELSE c.status END,
            d.decided, 0::smallint, 1::bigint, c.total_loss),
        ('deadline', 'result', coalesce(c.decide_compliance, ''),
            CASE WHEN c.case_type = 'crime_report' AND c.decide_compliance IS NOT NULL THEN d.decided END, 0::smallint, 1::bigint, 0::bigint),
        ('time', 'classify', '', c.classified_at, case_time_band(extract(epoch FROM c.classified_at - c.received_at)), 1::bigint, 0::bigint),
        ('time', 'assign', '', c.assigned_at, case_time_band(extract(epoch FROM c.assigned_at - c.received_at)), 1::bigint, 0::bigint),
        ('time', 'decide', '', d.decided, case_time_band(extract(epoch FROM d.decided - c.received_at)), 1::bigint, 0::bigint)
    ) AS x(measure, dim, key, at, band, n, amount)
    WHERE u.id = c.unit_id AND c.status <> 'merged' AND x.at IS NOT NULL
    UNION ALL
    -- Money frozen or returned, on the day recorded (already a local date).
    SELECT c.unit_id, r.on_date, c.case_type, 'money', r.kind, '', 0::smallint, 1::bigint, r.amount
    FROM case_recoveries r WHERE r.case_id = c.id
    ) p (unit_id, day, case_type, measure, dim, key, band, n, amount)
    CROSS JOIN LATERAL case_tally_scopes(c) s
$$;

CREATE TABLE case_tallies (
    unit_id   INT NOT NULL,
    scope     TEXT NOT NULL,
    day       DATE NOT NULL,
    case_type TEXT NOT NULL,
    measure   TEXT NOT NULL,
    dim       TEXT NOT NULL,
    key       TEXT NOT NULL,
    band      SMALLINT NOT NULL,
    n         BIGINT NOT NULL,
    amount    BIGINT NOT NULL,
    -- Measure before day: a period's counts skip the far more numerous
    -- duration bands, which only the period itself (not its comparisons) reads.
    PRIMARY KEY (unit_id, scope, measure, day, case_type, dim, key, band)
) PARTITION BY LIST (scope);
-- The unit-wide rows apart from the per-filter copies (nine in ten rows), so
-- the page most read stays on few heap pages.
CREATE TABLE case_tallies_unit PARTITION OF case_tallies FOR VALUES IN ('');
CREATE TABLE case_tallies_filtered PARTITION OF case_tallies DEFAULT;

INSERT INTO case_tallies
SELECT p.unit_id, p.scope, p.day, p.case_type, p.measure, p.dim, p.key, p.band, sum(p.n), sum(p.amount)
FROM cases c, LATERAL case_tally_parts(c) p
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

-- Statement-level like case_counts: one upsert per changed tally, in key order
-- so two writers lock the rows they share in the same order.
CREATE FUNCTION case_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO case_tallies AS t
        SELECT p.unit_id, p.scope, p.day, p.case_type, p.measure, p.dim, p.key, p.band, sum(p.n), sum(p.amount)
        FROM new_rows c, LATERAL case_tally_parts(c) p
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 5, 3, 4, 6, 7, 8
        ON CONFLICT (unit_id, scope, measure, day, case_type, dim, key, band)
        DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO case_tallies AS t
        SELECT unit_id, scope, day, case_type, measure, dim, key, band, sum(n), sum(amount)
        FROM (
            SELECT p.unit_id, p.scope, p.day, p.case_type, p.measure, p.dim, p.key, p.band, -p.n AS n, -p.amount AS amount
            FROM old_rows c, LATERAL case_tally_parts(c) p
            UNION ALL
            SELECT p.* FROM new_rows c, LATERAL case_tally_parts(c) p
        ) d
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        HAVING sum(n) <> 0 OR sum(amount) <> 0
        ORDER BY 1, 2, 5, 3, 4, 6, 7, 8
        ON CONFLICT (unit_id, scope, measure, day, case_type, dim, key, band)
        DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount;
    ELSE
        INSERT INTO case_tallies AS t
        SELECT p.unit_id, p.scope, p.day, p.case_type, p.measure, p.dim, p.key, p.band, -sum(p.n), -sum(p.amount)
        FROM old_rows c, LATERAL case_tally_parts(c) p
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 5, 3, 4, 6, 7, 8
        ON CONFLICT (unit_id, scope, measure, day, case_type, dim, key, band)
        DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_tallies_apply();
CREATE TRIGGER case_tallies_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_tallies_apply();
CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION case_tallies_apply();

-- A recovery row added or removed adds or takes away its money part (the same
-- row case_tally_parts gives for it).
CREATE FUNCTION case_tallies_money() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Transition tables exist only for their own event: one branch each.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO case_tallies AS t
        SELECT c.unit_id, s.scope, r.on_date, c.case_type, 'money', r.kind, '', 0::smallint, count(*)::bigint, sum(r.amount)::bigint
        FROM new_rows r JOIN cases c ON c.id = r.case_id, LATERAL case_tally_scopes(c) s
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 5, 3, 4, 6, 7, 8
        ON CONFLICT (unit_id, scope, measure, day, case_type, dim, key, band)
        DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount;
    ELSE
        INSERT INTO case_tallies AS t
        SELECT c.unit_id, s.scope, r.on_date, c.case_type, 'money', r.kind, '', 0::smallint, -count(*)::bigint, -sum(r.amount)::bigint
        FROM old_rows r JOIN cases c ON c.id = r.case_id, LATERAL case_tally_scopes(c) s
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 5, 3, 4, 6, 7, 8
        ON CONFLICT (unit_id, scope, measure, day, case_type, dim, key, band)
        DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER case_tallies_money_insert AFTER INSERT ON case_recoveries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_tallies_money();
CREATE TRIGGER case_tallies_money_delete AFTER DELETE ON case_recoveries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION case_tallies_money();
-- Recovery rows are added and removed, never edited.
CREATE FUNCTION case_recoveries_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_recoveries rows are added or removed, not edited';
END;
$$;
CREATE TRIGGER case_recoveries_no_update BEFORE UPDATE ON case_recoveries
    FOR EACH ROW EXECUTE FUNCTION case_recoveries_fixed();
CREATE INDEX submissions_unit_received_idx ON submissions (unit_id, received_at);
-- Open at the end of a period: received minus decided before it, from these rows only.
CREATE INDEX case_tallies_open_idx ON case_tallies (unit_id, scope, day) INCLUDE (case_type, measure, n)
    WHERE dim = 'all' AND measure IN ('received', 'decided');
