DELETE FROM case_events WHERE kind = 'imported';
ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge',
                    'watcher', 'reporter', 'submission', 'exhibit', 'identifier', 'transfer', 'recovery'));
UPDATE identifier_links SET source = 'officer' WHERE source = 'imported';
ALTER TABLE identifier_links DROP CONSTRAINT identifier_links_source_check;
ALTER TABLE identifier_links ADD CONSTRAINT identifier_links_source_check
    CHECK (source IN ('reporter', 'officer', 'extracted'));
DROP TABLE case_imports;
DROP TABLE import_runs;
