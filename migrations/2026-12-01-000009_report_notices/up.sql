-- How each person hears of new public reports: at once, or in an hourly or
-- daily summary. NULL is the default of their role (on-duty officers at once,
-- supervisors hourly), so a role change carries the right default.
ALTER TABLE users ADD COLUMN report_notice TEXT
    CHECK (report_notice IN ('immediate', 'hourly', 'daily'));

-- Which person has been told of which report (by a mail of its own or in a
-- summary): at most one mail per person per report, whatever they switch to.
CREATE TABLE report_notices (
    submission_id BIGINT NOT NULL REFERENCES submissions (id),
    user_id       BIGINT NOT NULL REFERENCES users (id),
    noticed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, submission_id)
);

-- One row per summary period queued, so one instance queues it, once.
CREATE TABLE report_summary_runs (
    cadence      TEXT NOT NULL CHECK (cadence IN ('hourly', 'daily')),
    period_end   TIMESTAMPTZ NOT NULL,
    queued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cadence, period_end)
);

-- Before this, every on-duty officer and supervisor was mailed each report at
-- once: the recent ones count as told, so the first summaries repeat nothing.
INSERT INTO report_notices (submission_id, user_id)
SELECT s.id, u.id
FROM submissions s CROSS JOIN users u
WHERE s.received_at > now() - interval '2 days'
  AND u.role IN ('officer', 'supervisor');
