DROP INDEX submissions_received_idx;
