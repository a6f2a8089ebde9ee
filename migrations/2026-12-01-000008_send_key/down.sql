CREATE OR REPLACE FUNCTION submissions_as_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'submissions are never deleted';
    END IF;
    IF (NEW.tracking_code, NEW.kind, NEW.lang, NEW.received_at, NEW.anonymous, NEW.confidential,
        NEW.reporter_name, NEW.contact_phone, NEW.contact_email, NEW.secret_hash, NEW.category_id,
        NEW.summary, NEW.narrative, NEW.occurred_at, NEW.total_loss, NEW.payload, NEW.ip)
       IS DISTINCT FROM
       (OLD.tracking_code, OLD.kind, OLD.lang, OLD.received_at, OLD.anonymous, OLD.confidential,
        OLD.reporter_name, OLD.contact_phone, OLD.contact_email, OLD.secret_hash, OLD.category_id,
        OLD.summary, OLD.narrative, OLD.occurred_at, OLD.total_loss, OLD.payload, OLD.ip) THEN
        RAISE EXCEPTION 'a submission is kept exactly as sent';
    END IF;
    RETURN NEW;
END $$;
DROP INDEX submissions_send_key;
ALTER TABLE submissions DROP COLUMN send_key;
