-- Every instance on this database counts the same limits and hears about
-- the same reference-data changes (issue 17; docs/operations.md, "Running several instances").

-- Rate limits as GCRA: one row per (scope, key) holding its theoretical
-- arrival time. UNLOGGED: a limit is not worth a WAL record per request,
-- and after a crash every client simply starts with a full allowance.
CREATE UNLOGGED TABLE rate_limits (
    scope text NOT NULL,
    key text NOT NULL,
    tat timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

-- Takes one request from `p_burst` allowed per `p_period_ms` (all of them
-- may be used at once, then they come back evenly). Returns 0 when allowed,
-- otherwise the seconds until the next one is, and takes nothing.
CREATE FUNCTION rate_take(p_scope text, p_key text, p_period_ms bigint, p_burst integer)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    step interval := make_interval(secs => p_period_ms / 1000.0 / greatest(p_burst, 1));
    span interval := make_interval(secs => p_period_ms / 1000.0);
    at timestamptz := clock_timestamp();
    cur timestamptz;
BEGIN
    INSERT INTO rate_limits AS r (scope, key, tat) VALUES (p_scope, p_key, at + step)
    ON CONFLICT (scope, key) DO UPDATE SET tat = greatest(r.tat, at) + step
        WHERE greatest(r.tat, at) + step - at <= span
    RETURNING tat INTO cur;
    IF FOUND THEN
        RETURN 0;
    END IF;
    SELECT tat INTO cur FROM rate_limits WHERE scope = p_scope AND key = p_key;
    RETURN greatest(extract(epoch FROM (cur + step - span - at)), 0.001);
END $$;

-- Reference data that instances cache: a change, by any instance or by
-- hand, is announced on commit; each instance's listener drops its copy.
CREATE FUNCTION notify_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cyberdesk_cache', TG_ARGV[0]);
    RETURN NULL;
END $$;

CREATE TRIGGER categories_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache('categories');
CREATE TRIGGER banks_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON banks
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache('banks');
CREATE TRIGGER units_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache('units');
CREATE TRIGGER unit_names_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit_names
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache('units');
CREATE TRIGGER legal_bases_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON legal_bases
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache('legal_bases');
-- Only what the directory and token checks read: sign-ins and second-factor
-- steps update other columns all day.
CREATE TRIGGER users_cache AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF
    full_name, role, team, on_duty, active, unit_id, service ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache('users');
-- Not on use counts (flushed every few seconds).
CREATE TRIGGER api_tokens_cache AFTER DELETE OR TRUNCATE OR UPDATE OF
    scopes, expires_at, revoked_at, user_id ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache('api_tokens');
