DROP TABLE report_summary_runs;
DROP TABLE report_notices;
ALTER TABLE users DROP COLUMN report_notice;
