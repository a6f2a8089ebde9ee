DELETE FROM mail_digest_runs r USING mail_digest_runs o
 WHERE r.day = o.day AND r.unit_id > o.unit_id;
ALTER TABLE mail_digest_runs DROP CONSTRAINT mail_digest_runs_pkey;
ALTER TABLE mail_digest_runs DROP COLUMN unit_id;
ALTER TABLE mail_digest_runs ADD PRIMARY KEY (day);
