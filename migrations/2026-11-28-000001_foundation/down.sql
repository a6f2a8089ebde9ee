DROP TABLE audit_log;
DROP FUNCTION audit_log_immutable();
DROP TABLE login_lockouts;
DROP TABLE login_attempts;
DROP TABLE sessions;
DROP TABLE users;
