-- An audit log that proves itself (docs/domain.md §17): each row carries the
-- SHA-256 of the previous row's hash and its own content, computed by a
-- trigger in the writing transaction. The chain's head is one row locked by
-- each writer until it commits, so concurrent writers form one chain in the
-- order they commit their audit rows (`seq`).
ALTER TABLE audit_log ADD COLUMN seq BIGINT, ADD COLUMN prev_hash BYTEA, ADD COLUMN hash BYTEA;

CREATE TABLE audit_chain (
    id    INT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  BYTEA NOT NULL
);

-- The content a row's hash covers, fields separated by U+001F. `cyberdesk
-- audit verify` rebuilds the same text from the row itself (not with this
-- function), so replacing the function cannot make a changed row pass.
CREATE FUNCTION audit_row_text(r audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(E'\x1f',
        r.seq::text, r.id::text,
        to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        coalesce(r.actor_id::text, ''), r.action, coalesce(r.target_type, ''),
        coalesce(r.target_id, ''), coalesce(r.ip, ''), coalesce(r.user_agent, ''),
        r.detail::text, coalesce(r.api_token_id::text, ''))
$$;

-- Rows written before the chain existed join it in the order they were written.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;
DO $$
DECLARE
    r audit_log;
    prev BYTEA := decode(repeat('00', 32), 'hex');
    n BIGINT := 0;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        r.seq := n;
        r.prev_hash := prev;
        r.hash := sha256(prev || convert_to(audit_row_text(r), 'UTF8'));
        UPDATE audit_log SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
        prev := r.hash;
    END LOOP;
    INSERT INTO audit_chain (id, seq, hash) VALUES (1, n, prev);
END $$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete;
CREATE UNIQUE INDEX audit_log_seq_idx ON audit_log (seq);

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_chain;
BEGIN
    SELECT * INTO head FROM audit_chain WHERE id = 1 FOR UPDATE;
    NEW.seq := head.seq + 1;
    NEW.prev_hash := head.hash;
    NEW.hash := sha256(head.hash || convert_to(audit_row_text(NEW), 'UTF8'));
    UPDATE audit_chain SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- The case timeline is append-only too, like the audit log.
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER case_events_no_update_delete BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();
