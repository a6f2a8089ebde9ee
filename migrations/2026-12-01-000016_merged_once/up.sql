-- A merged duplicate is one report with its survivor (docs/domain.md §7): its
-- identifier links say which case they now count as, so correlation counts,
-- loss totals, the hot list and intake hits count the pair once while the
-- duplicate keeps its own links and history.
ALTER TABLE identifier_links ADD COLUMN merged_into BIGINT REFERENCES cases (id);
-- A chain (A merged into B, B later into C) counts as C.
WITH RECURSIVE chain AS (
    SELECT id, merged_into_id AS survivor FROM cases WHERE merged_into_id IS NOT NULL
    UNION ALL
    SELECT ch.id, c.merged_into_id FROM chain ch JOIN cases c ON c.id = ch.survivor WHERE c.merged_into_id IS NOT NULL
)
UPDATE identifier_links l SET merged_into = last.survivor
FROM (SELECT DISTINCT ON (id) id, survivor FROM chain ORDER BY id) last
WHERE l.case_id = last.id;
-- Where each link counts: the survivor of a merged case, else its report.
DROP INDEX identifier_links_identifier_idx;
CREATE INDEX identifier_links_identifier_idx
    ON identifier_links (identifier_id) INCLUDE (report_key, merged_into, case_id, submission_id, reported_at, amount);
DROP INDEX identifier_links_reported_idx;
CREATE INDEX identifier_links_reported_idx
    ON identifier_links (reported_at) INCLUDE (identifier_id, report_key, merged_into, case_id, submission_id);
