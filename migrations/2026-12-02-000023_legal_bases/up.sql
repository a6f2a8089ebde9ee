-- Legal bases (docs/domain.md §18): every legal reference the product shows or
-- prints comes from this table, with the dates the instrument was in force. A
-- topic has at most one basis in force on any day; a case stores the basis of
-- its type's topic in force on the day it was received.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE legal_bases (
    id            SERIAL PRIMARY KEY,
    topic         TEXT NOT NULL CHECK (topic IN ('crime_report', 'false_report', 'security_incident',
                                                 'data_breach', 'personal_data', 'reporting_period')),
    -- The instrument's number as cited ("101/2015/QH13"), the same in both languages.
    instrument    TEXT NOT NULL CHECK (length(instrument) BETWEEN 1 AND 120),
    -- The articles cited ("144–147"), empty for the instrument as a whole.
    article       TEXT NOT NULL DEFAULT '' CHECK (length(article) <= 60),
    title_vi      TEXT NOT NULL CHECK (length(title_vi) BETWEEN 1 AND 300),
    title_en      TEXT NOT NULL CHECK (length(title_en) BETWEEN 1 AND 300),
    in_force_from DATE NOT NULL,
    -- The first day it no longer applies; NULL while in force.
    in_force_to   DATE CHECK (in_force_to > in_force_from),
    -- Where a figure or date could not be checked against the text.
    note          TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    EXCLUDE USING gist (topic WITH =, daterange(in_force_from, in_force_to, '[)') WITH &&)
);

INSERT INTO legal_bases (topic, instrument, article, title_vi, title_en, in_force_from, in_force_to, note) VALUES
    ('crime_report', '101/2015/QH13', '144–147',
     'Bộ luật Tố tụng hình sự 2015', 'Criminal Procedure Code 2015',
     '2018-01-01', '2025-07-01', ''),
    ('crime_report', '101/2015/QH13, sửa đổi bởi 99/2025/QH15', '144–147',
     'Bộ luật Tố tụng hình sự 2015 (sửa đổi, bổ sung bởi Luật số 99/2025/QH15)',
     'Criminal Procedure Code 2015 as amended by Law 99/2025/QH15',
     '2025-07-01', NULL, ''),
    ('false_report', '101/2015/QH13', '144',
     'Bộ luật Tố tụng hình sự 2015', 'Criminal Procedure Code 2015',
     '2018-01-01', '2025-07-01', ''),
    ('false_report', '101/2015/QH13, sửa đổi bởi 99/2025/QH15', '144',
     'Bộ luật Tố tụng hình sự 2015 (sửa đổi, bổ sung bởi Luật số 99/2025/QH15)',
     'Criminal Procedure Code 2015 as amended by Law 99/2025/QH15',
     '2025-07-01', NULL, ''),
    ('security_incident', '20/2017/TT-BTTTT', '',
     'Thông tư 20/2017/TT-BTTTT (theo Luật An toàn thông tin mạng 2015)',
     'Circular 20/2017/TT-BTTTT (under the Law on Network Information Security 2015)',
     '2017-11-01', '2026-07-01', 'Ngày hiệu lực của Thông tư chưa được đối chiếu với văn bản.'),
    ('security_incident', '116/2025/QH15', '',
     'Luật An ninh mạng 2025 (Luật số 116/2025/QH15); thời hạn báo cáo theo Thông tư 20/2017/TT-BTTTT cho đến khi có văn bản thay thế',
     'Law on Cybersecurity 2025 (Law 116/2025/QH15); reporting time limit per Circular 20/2017/TT-BTTTT until a replacement is issued',
     '2026-07-01', NULL, 'Chưa tìm thấy văn bản thay thế Thông tư 20/2017; thời hạn 5 ngày giữ nguyên, quản trị viên có thể sửa.'),
    ('data_breach', '13/2023/NĐ-CP', '23',
     'Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân', 'Decree 13/2023/ND-CP on personal data protection',
     '2023-07-01', '2026-01-01', ''),
    ('data_breach', '91/2025/QH15; 356/2025/NĐ-CP', '',
     'Luật Bảo vệ dữ liệu cá nhân (Luật số 91/2025/QH15) và Nghị định 356/2025/NĐ-CP',
     'Law on Personal Data Protection (Law 91/2025/QH15) and Decree 356/2025/ND-CP',
     '2026-01-01', NULL, 'Thời hạn 72 giờ được giữ từ Nghị định 13/2023; chưa đối chiếu với văn bản mới.'),
    ('personal_data', '13/2023/NĐ-CP', '',
     'Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân', 'Decree 13/2023/ND-CP on personal data protection',
     '2023-07-01', '2026-01-01', ''),
    ('personal_data', '91/2025/QH15; 356/2025/NĐ-CP', '',
     'Luật Bảo vệ dữ liệu cá nhân (Luật số 91/2025/QH15) và Nghị định 356/2025/NĐ-CP',
     'Law on Personal Data Protection (Law 91/2025/QH15) and Decree 356/2025/ND-CP',
     '2026-01-01', NULL, ''),
    ('reporting_period', '09/2019/NĐ-CP', '12',
     'Nghị định 09/2019/NĐ-CP quy định chế độ báo cáo của cơ quan hành chính nhà nước',
     'Decree 09/2019/ND-CP on the reporting regime of state administrative agencies',
     '2019-03-12', NULL, 'Ngày chốt số liệu (ngày 15) chưa được đối chiếu lại với văn bản; là một thiết lập.');

-- Which topic's basis a deadline rule applies.
ALTER TABLE deadline_rules ADD COLUMN basis_topic TEXT
    CHECK (basis_topic IN ('crime_report', 'security_incident', 'data_breach'));
UPDATE deadline_rules SET basis_topic = case_type WHERE case_type IN ('crime_report', 'security_incident', 'data_breach');

-- The basis in force on the day the case was received (in its unit's time zone).
ALTER TABLE cases ADD COLUMN legal_basis_id INT REFERENCES legal_bases (id);
UPDATE cases c SET legal_basis_id = b.id
  FROM units u, legal_bases b
 WHERE u.id = c.unit_id AND b.topic = c.case_type
   AND daterange(b.in_force_from, b.in_force_to, '[)') @> (c.received_at AT TIME ZONE u.time_zone)::date;
