DROP TABLE mail_digest_runs;
ALTER TABLE users DROP COLUMN mail_off;
DROP TABLE email_outbox;
