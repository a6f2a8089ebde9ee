-- The running head kept in the transaction-local setting names its
-- transaction: a value set by hand (or left by anything else) is ignored and
-- the head is read and locked from its row, so a writer cannot skip the lock
-- or choose its own predecessor (docs/domain.md §17).
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    state text := coalesce(current_setting('cyberdesk.audit_head', true), '');
    head_seq BIGINT;
    head_hash BYTEA;
BEGIN
    IF split_part(state, ':', 1) = txid_current()::text THEN
        head_seq := split_part(state, ':', 2)::bigint;
        head_hash := decode(split_part(state, ':', 3), 'hex');
    ELSE
        -- First audit row of this transaction: take the head and hold its
        -- lock until commit, so concurrent writers still form one chain.
        SELECT seq, hash INTO head_seq, head_hash FROM audit_chain WHERE id = 1 FOR UPDATE;
    END IF;
    NEW.seq := head_seq + 1;
    NEW.prev_hash := head_hash;
    NEW.hash := sha256(head_hash || convert_to(audit_row_text(NEW), 'UTF8'));
    PERFORM set_config('cyberdesk.audit_head',
        txid_current()::text || ':' || NEW.seq::text || ':' || encode(NEW.hash, 'hex'), true);
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION audit_log_chain_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    state text := coalesce(current_setting('cyberdesk.audit_head', true), '');
BEGIN
    IF split_part(state, ':', 1) = txid_current()::text THEN
        UPDATE audit_chain
           SET seq = split_part(state, ':', 2)::bigint,
               hash = decode(split_part(state, ':', 3), 'hex')
         WHERE id = 1;
    END IF;
    RETURN NULL;
END;
$$;
