DELETE FROM report_summary_runs r USING report_summary_runs o
WHERE r.cadence = o.cadence AND r.period_end = o.period_end AND r.unit_id > o.unit_id;
ALTER TABLE report_summary_runs DROP CONSTRAINT report_summary_runs_pkey;
ALTER TABLE report_summary_runs DROP COLUMN unit_id;
ALTER TABLE report_summary_runs ADD PRIMARY KEY (cadence, period_end);
