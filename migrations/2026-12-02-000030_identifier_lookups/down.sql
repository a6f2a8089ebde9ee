DROP TRIGGER identifier_generations_spam ON submissions;
DROP FUNCTION identifier_generations_spam();
DROP TRIGGER identifier_generations_insert ON identifier_links;
DROP TRIGGER identifier_generations_update ON identifier_links;
DROP TRIGGER identifier_generations_delete ON identifier_links;
DROP FUNCTION identifier_generations_bump();
DROP TABLE identifier_lookups;
DROP TABLE identifier_generations;
