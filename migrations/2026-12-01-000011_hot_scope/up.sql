-- Hot lists per unit (a supervisor's, from their unit's reports) and one
-- national list (unit_id 0: every unit's, for the ministry's analysts), each
-- with the number of units that reported each identifier.
ALTER TABLE hot_identifiers ADD COLUMN unit_id INT NOT NULL DEFAULT 0;
ALTER TABLE hot_identifiers ADD COLUMN units INT NOT NULL DEFAULT 1;
ALTER TABLE hot_identifiers DROP CONSTRAINT hot_identifiers_pkey;
ALTER TABLE hot_identifiers ADD PRIMARY KEY (unit_id, days, rank);
ALTER TABLE hot_list_runs ADD COLUMN unit_id INT NOT NULL DEFAULT 0;
ALTER TABLE hot_list_runs DROP CONSTRAINT hot_list_runs_pkey;
ALTER TABLE hot_list_runs ADD PRIMARY KEY (unit_id, days);
CREATE INDEX identifier_links_unit_reported_idx ON identifier_links (unit_id, reported_at);
