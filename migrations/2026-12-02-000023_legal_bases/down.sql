ALTER TABLE cases DROP COLUMN legal_basis_id;
ALTER TABLE deadline_rules DROP COLUMN basis_topic;
DROP TABLE legal_bases;
