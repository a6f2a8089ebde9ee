-- Deadline digests go out at the digest hour of each unit's own time zone, so
-- a run is claimed per unit and local day (docs/domain.md §10). A day already
-- done for everyone counts as done for every unit.
ALTER TABLE mail_digest_runs ADD COLUMN unit_id INT NOT NULL DEFAULT 0;
ALTER TABLE mail_digest_runs DROP CONSTRAINT mail_digest_runs_pkey;
ALTER TABLE mail_digest_runs ADD PRIMARY KEY (unit_id, day);
INSERT INTO mail_digest_runs (unit_id, day, created_at)
    SELECT u.id, r.day, r.created_at FROM mail_digest_runs r CROSS JOIN units u WHERE r.unit_id = 0
    ON CONFLICT DO NOTHING;
DELETE FROM mail_digest_runs WHERE unit_id = 0;
ALTER TABLE mail_digest_runs ALTER COLUMN unit_id DROP DEFAULT;
