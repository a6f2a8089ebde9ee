DROP TRIGGER case_events_no_truncate ON case_events;
DROP TRIGGER case_events_no_update_delete ON case_events;
DROP FUNCTION append_only();
DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_log_chain();
DROP INDEX audit_log_seq_idx;
DROP FUNCTION audit_row_text(audit_log);
DROP TABLE audit_chain;
ALTER TABLE audit_log DROP COLUMN hash, DROP COLUMN prev_hash, DROP COLUMN seq;
