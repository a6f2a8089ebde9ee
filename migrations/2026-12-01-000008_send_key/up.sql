-- One report per send: the draft key of the form a report was sent from, so a
-- repeat of the same send (double tap, reload, back-and-resend) finds it
-- instead of making a second report. Part of the report as sent.
ALTER TABLE submissions ADD COLUMN send_key TEXT;
CREATE UNIQUE INDEX submissions_send_key ON submissions (send_key) WHERE send_key IS NOT NULL;

CREATE OR REPLACE FUNCTION submissions_as_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'submissions are never deleted';
    END IF;
    IF (NEW.tracking_code, NEW.kind, NEW.lang, NEW.received_at, NEW.anonymous, NEW.confidential,
        NEW.reporter_name, NEW.contact_phone, NEW.contact_email, NEW.secret_hash, NEW.category_id,
        NEW.summary, NEW.narrative, NEW.occurred_at, NEW.total_loss, NEW.payload, NEW.ip, NEW.send_key)
       IS DISTINCT FROM
       (OLD.tracking_code, OLD.kind, OLD.lang, OLD.received_at, OLD.anonymous, OLD.confidential,
        OLD.reporter_name, OLD.contact_phone, OLD.contact_email, OLD.secret_hash, OLD.category_id,
        OLD.summary, OLD.narrative, OLD.occurred_at, OLD.total_loss, OLD.payload, OLD.ip, OLD.send_key) THEN
        RAISE EXCEPTION 'a submission is kept exactly as sent';
    END IF;
    RETURN NEW;
END $$;
