ALTER TABLE audit_log DROP COLUMN api_token_id;
DROP TABLE api_tokens;
ALTER TABLE users DROP COLUMN service;
