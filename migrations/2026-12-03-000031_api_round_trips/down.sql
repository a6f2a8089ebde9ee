DROP FUNCTION identifier_lookup(int[], text[], text[], text[], int, boolean, bigint);
CREATE OR REPLACE FUNCTION rate_take(p_scope text, p_key text, p_period_ms bigint, p_burst integer)
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
DROP FUNCTION rate_take_many(text, text, bigint, integer, integer);
