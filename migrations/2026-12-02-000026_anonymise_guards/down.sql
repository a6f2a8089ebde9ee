ALTER TABLE submissions DROP CONSTRAINT submissions_contact_check;
ALTER TABLE submissions ADD CONSTRAINT submissions_check
    CHECK (anonymous OR contact_phone IS NOT NULL OR contact_email IS NOT NULL) NOT VALID;
ALTER TABLE submissions DROP COLUMN anonymised_at;
-- The guards as they were before this migration.
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

CREATE OR REPLACE FUNCTION exhibits_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'exhibits are never deleted';
    END IF;
    IF (NEW.case_id, NEW.storage_id, NEW.sha256, NEW.size_bytes, NEW.detected_type, NEW.original_name,
        NEW.kind, NEW.source, NEW.received_at, NEW.received_by, NEW.submission_file_id)
       IS DISTINCT FROM
       (OLD.case_id, OLD.storage_id, OLD.sha256, OLD.size_bytes, OLD.detected_type, OLD.original_name,
        OLD.kind, OLD.source, OLD.received_at, OLD.received_by, OLD.submission_file_id)
       OR (OLD.withdrawn_at IS NOT NULL AND
           (NEW.withdrawn_at, NEW.withdrawn_by, NEW.withdrawn_reason)
           IS DISTINCT FROM (OLD.withdrawn_at, OLD.withdrawn_by, OLD.withdrawn_reason)) THEN
        RAISE EXCEPTION 'exhibit % is recorded as received and cannot be rewritten', OLD.id;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION case_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('cyberdesk.anonymising', true) = 'on'
       AND NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.at = OLD.at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.kind = OLD.kind
       AND NEW.field IS NOT DISTINCT FROM OLD.field THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'case_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

DROP FUNCTION anonymising(BIGINT);
