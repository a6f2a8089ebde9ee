DROP TRIGGER case_counts_delete ON cases;
DROP TRIGGER case_counts_update ON cases;
DROP TRIGGER case_counts_insert ON cases;
DROP FUNCTION case_counts_apply();
DROP TABLE case_counts;
