DROP TABLE banks;
DROP TABLE app_secrets;
DROP TABLE identifier_links;
DROP TABLE identifiers;
DROP TABLE submission_messages;
DROP TABLE submission_files;
DROP TRIGGER submissions_as_sent ON submissions;
DROP TABLE submissions;
DROP FUNCTION submissions_as_sent();
