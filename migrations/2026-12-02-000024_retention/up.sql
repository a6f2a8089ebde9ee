-- Personal data kept only as long as the rules allow (docs/domain.md §19).

-- How long reporters' and victims' personal data are kept after a case is
-- decided, per case type and (optionally) outcome; the rule with an outcome
-- wins over the type's general rule.
CREATE TABLE retention_rules (
    id         SERIAL PRIMARY KEY,
    case_type  TEXT NOT NULL CHECK (case_type IN ('crime_report', 'security_incident', 'data_breach', 'feedback')),
    outcome    TEXT CHECK (outcome IN ('prosecuted', 'not_prosecuted', 'administrative_fine',
                                       'remediated', 'no_violation')),
    months     INT NOT NULL CHECK (months BETWEEN 1 AND 1200),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (case_type, outcome)
);
INSERT INTO retention_rules (case_type, outcome, months) VALUES
    ('crime_report', NULL, 120),
    ('crime_report', 'prosecuted', 360),
    ('crime_report', 'not_prosecuted', 60),
    ('crime_report', 'no_violation', 60),
    ('security_incident', NULL, 60),
    ('data_breach', NULL, 60),
    ('feedback', NULL, 24);

-- A legal hold keeps a case's personal data whatever the rules say; an
-- anonymised case keeps its identifiers of suspects, money and figures.
ALTER TABLE cases
    ADD COLUMN hold_reason   TEXT CHECK (char_length(hold_reason) BETWEEN 1 AND 500),
    ADD COLUMN hold_by       BIGINT REFERENCES users (id),
    ADD COLUMN hold_at       TIMESTAMPTZ,
    ADD COLUMN anonymised_at TIMESTAMPTZ,
    ADD CONSTRAINT cases_hold_whole CHECK ((hold_reason IS NULL) = (hold_at IS NULL));

-- The case timeline stays append-only, except for anonymisation: in a
-- transaction that says so, free text may be replaced, nothing else changes.
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
DROP TRIGGER case_events_no_update_delete ON case_events;
CREATE TRIGGER case_events_no_update_delete BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_guard();

CREATE INDEX cases_retention_idx ON cases (decided_at) WHERE anonymised_at IS NULL AND hold_at IS NULL;
