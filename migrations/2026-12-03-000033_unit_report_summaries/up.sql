-- Summaries of new public reports are per unit, at the unit's own hours in
-- its own time zone (`docs/domain.md` §10): each unit's period is claimed
-- once. Periods already sent were sent for every unit at once (unit 0).
ALTER TABLE report_summary_runs ADD COLUMN unit_id INT NOT NULL DEFAULT 0;
ALTER TABLE report_summary_runs ALTER COLUMN unit_id DROP DEFAULT;
ALTER TABLE report_summary_runs DROP CONSTRAINT report_summary_runs_pkey;
ALTER TABLE report_summary_runs ADD PRIMARY KEY (cadence, unit_id, period_end);
