-- Three identifier links per case, for the benchmarks (bench-units, bench-api):
-- a receiving account shared across cases and units (heavy tailed), the
-- victim's phone, and a suspect's phone or website. Values no seed uses
-- (13-digit accounts, 081 phones, example.vn sites).
BEGIN;
INSERT INTO identifiers (kind, value)
  SELECT 'bank_account', 'VCB:' || lpad(g::text, 13, '0') FROM generate_series(1, 300000) g ON CONFLICT DO NOTHING;
INSERT INTO identifiers (kind, value)
  SELECT 'phone', '+8481' || lpad(g::text, 7, '0') FROM generate_series(1, 1200000) g ON CONFLICT DO NOTHING;
INSERT INTO identifiers (kind, value)
  SELECT 'url', 'https://shop-' || g || '.example.vn' FROM generate_series(1, 100000) g ON CONFLICT DO NOTHING;
-- Each series was inserted in one statement with values no seed uses (13-digit
-- accounts, 081 phones, example.vn sites), so its ids run on from its first.
CREATE TEMP TABLE base AS SELECT
  (SELECT id FROM identifiers WHERE kind = 'bank_account' AND value = 'VCB:0000000000001') AS acc0,
  (SELECT id FROM identifiers WHERE kind = 'phone' AND value = '+84810000001') AS ph0,
  (SELECT id FROM identifiers WHERE kind = 'url' AND value = 'https://shop-1.example.vn') AS url0;
INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, amount, reporter_key, from_form, unit_id)
  SELECT b.acc0 + floor(power(random(), 3) * 300000)::bigint, c.id, 'suspect', 'officer', c.received_at,
         c.total_loss, '+84' || substr(c.reporter_phone, 2), true, c.unit_id
  FROM cases c, base b ON CONFLICT DO NOTHING;
INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, amount, reporter_key, from_form, unit_id)
  SELECT b.ph0 + (c.id % 600000), c.id, 'victim', 'officer', c.received_at, 0, '+84' || substr(c.reporter_phone, 2), true, c.unit_id
  FROM cases c, base b ON CONFLICT DO NOTHING;
INSERT INTO identifier_links (identifier_id, case_id, role, source, reported_at, amount, reporter_key, from_form, unit_id)
  SELECT CASE WHEN c.id % 3 = 0 THEN b.url0 + floor(power(random(), 2) * 100000)::bigint
              ELSE b.ph0 + 600000 + floor(power(random(), 3) * 600000)::bigint END,
         c.id, CASE WHEN c.id % 3 = 0 THEN 'infrastructure' ELSE 'suspect' END, 'extracted', c.received_at, 0,
         '+84' || substr(c.reporter_phone, 2), false, c.unit_id
  FROM cases c, base b ON CONFLICT DO NOTHING;
COMMIT;
VACUUM (ANALYZE) identifiers;
VACUUM (ANALYZE) identifier_links;
