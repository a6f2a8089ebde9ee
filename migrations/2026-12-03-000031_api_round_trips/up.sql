-- The bank check in one round trip (`docs/domain.md` §15).

-- Takes up to p_want of p_burst requests allowed per period under (scope,
-- key), all or as many as there is room for: (granted, 0), or (0, seconds
-- until the next one). An instance serving a token with a large allowance
-- takes a few at once and hands them out itself, so the token's row is not
-- locked by every request; the sum taken never exceeds the allowance.
CREATE FUNCTION rate_take_many(p_scope text, p_key text, p_period_ms bigint, p_burst integer, p_want integer,
                               OUT granted integer, OUT wait double precision)
LANGUAGE plpgsql AS $$
DECLARE
    step double precision := p_period_ms / 1000.0 / greatest(p_burst, 1);
    span double precision := p_period_ms / 1000.0;
    at timestamptz := clock_timestamp();
    cur timestamptz;
    ahead double precision;
BEGIN
    INSERT INTO rate_limits (scope, key, tat) VALUES (p_scope, p_key, at) ON CONFLICT (scope, key) DO NOTHING;
    SELECT greatest(tat, at) INTO cur FROM rate_limits WHERE scope = p_scope AND key = p_key FOR UPDATE;
    ahead := extract(epoch FROM (cur - at));
    -- The small slack keeps a whole step whole after the division.
    granted := least(greatest(p_want, 1), floor((span - ahead) / step + 1e-9)::int);
    IF granted >= 1 THEN
        UPDATE rate_limits SET tat = cur + make_interval(secs => granted * step)
        WHERE scope = p_scope AND key = p_key;
        wait := 0;
    ELSE
        granted := 0;
        wait := greatest(ahead + step - span, 0.001);
    END IF;
END $$;

-- The one-at-a-time form the throttles use, now the same rule.
CREATE OR REPLACE FUNCTION rate_take(p_scope text, p_key text, p_period_ms bigint, p_burst integer)
RETURNS double precision LANGUAGE sql AS $$
    SELECT CASE WHEN granted > 0 THEN 0 ELSE wait END FROM rate_take_many(p_scope, p_key, p_period_ms, p_burst, 1)
$$;

-- The look-up's counts (`models::identifier_link::lookup`): a function so
-- that its plan is made once per connection (PostgreSQL judged the arrays too
-- variable for one plan and planned every call afresh, at three times the
-- cost of running it), and so that reading, counting and keeping the heavy
-- counts are one statement. p_kept false counts afresh and keeps nothing.
CREATE FUNCTION identifier_lookup(p_ords int[], p_kinds text[], p_values text[], p_bares text[],
                                  p_scope int, p_kept boolean, p_keep_from bigint)
RETURNS TABLE (ord int, reports bigint, cases bigint, first_seen timestamptz, last_seen timestamptz, loss bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH q AS (SELECT * FROM unnest(p_ords, p_kinds, p_values, p_bares) AS q(ord, kind, value, bare)),
    m AS (SELECT q.ord, i.id FROM q JOIN identifiers i ON i.kind = q.kind AND i.value = q.value
          UNION
          SELECT q.ord, i.id FROM q JOIN identifiers i
            ON q.bare <> '' AND split_part(i.value, ':', 2) = q.bare AND i.kind = q.kind),
    single AS (SELECT m.ord, min(m.id) AS id FROM m GROUP BY m.ord HAVING count(*) = 1),
    one AS (SELECT single.ord, single.id, COALESCE(g.gen, 0) AS gen
            FROM single LEFT JOIN identifier_generations g ON g.identifier_id = single.id),
    hit AS (SELECT one.ord, k.reports, k.cases, k.first_seen, k.last_seen, k.loss
            FROM one JOIN identifier_lookups k ON k.identifier_id = one.id AND k.scope = p_scope AND k.gen = one.gen
            WHERE p_kept),
    r AS (SELECT m.ord, COALESCE(l.merged_into, l.report_key) AS report, max(l.amount) AS amount,
                 min(l.reported_at) AS first_seen, max(l.reported_at) AS last_seen
          FROM m JOIN identifier_links l ON l.identifier_id = m.id
          WHERE NOT EXISTS (SELECT 1 FROM hit WHERE hit.ord = m.ord) AND (p_scope = 0 OR l.unit_id = p_scope)
            AND l.role <> 'victim'
            AND NOT EXISTS (SELECT 1 FROM submissions s
                            WHERE s.id = l.submission_id AND l.case_id IS NULL AND s.status = 'spam')
          GROUP BY m.ord, COALESCE(l.merged_into, l.report_key)),
    counted AS (SELECT r.ord, count(*)::bigint AS reports, (count(*) FILTER (WHERE r.report > 0))::bigint AS cases,
                       min(r.first_seen) AS first_seen, max(r.last_seen) AS last_seen,
                       COALESCE(sum(r.amount), 0)::bigint AS loss
                FROM r GROUP BY r.ord),
    -- The generation was read in this statement's snapshot with the links, so
    -- a count kept with it holds exactly that generation's links; one row per
    -- identifier however often the batch asks it, and a later one kept stays.
    keep AS (INSERT INTO identifier_lookups AS k (identifier_id, scope, gen, reports, cases, first_seen, last_seen, loss)
             SELECT DISTINCT ON (one.id) one.id, p_scope, one.gen, c.reports, c.cases, c.first_seen, c.last_seen, c.loss
             FROM counted c JOIN one ON one.ord = c.ord
             WHERE p_kept AND c.reports >= p_keep_from
             ORDER BY one.id
             ON CONFLICT (identifier_id, scope) DO UPDATE
             SET gen = EXCLUDED.gen, reports = EXCLUDED.reports, cases = EXCLUDED.cases,
                 first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, loss = EXCLUDED.loss
             WHERE k.gen < EXCLUDED.gen)
    SELECT hit.ord, hit.reports, hit.cases, hit.first_seen, hit.last_seen, hit.loss FROM hit
    UNION ALL
    SELECT c.ord, c.reports, c.cases, c.first_seen, c.last_seen, c.loss FROM counted c;
END $$;
