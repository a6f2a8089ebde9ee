-- The public form counts reports of the last minute (burst detection) on every
-- visit: without this index that is a scan of every submission.
CREATE INDEX submissions_received_idx ON submissions (received_at);
