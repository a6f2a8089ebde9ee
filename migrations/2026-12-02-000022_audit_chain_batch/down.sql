DROP TRIGGER audit_log_chain_head ON audit_log;
DROP FUNCTION audit_log_chain_head();
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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
