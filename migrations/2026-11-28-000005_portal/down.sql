ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge', 'watcher'));
DROP TABLE banks;
DROP TABLE app_secrets;
DROP TABLE identifier_links;
DROP TABLE identifiers;
DROP TABLE submission_messages;
DROP TABLE submission_files;
DROP TRIGGER submissions_as_sent ON submissions;
DROP TABLE submissions;
DROP FUNCTION submissions_as_sent();
