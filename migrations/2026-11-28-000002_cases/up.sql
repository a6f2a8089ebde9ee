-- Case management: categories, deadline rules, cases with their money rows,
-- timeline, watchers, links and legal clocks.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE (it reads a dictionary); pinning the dictionary makes a
-- function that indexes and generated columns may use.
CREATE FUNCTION f_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

CREATE TABLE categories (
    id        SERIAL PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_]{1,40}$'),
    parent_id INT REFERENCES categories (id),
    name_vi   TEXT NOT NULL CHECK (char_length(name_vi) BETWEEN 1 AND 200),
    name_en   TEXT NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 200),
    active    BOOLEAN NOT NULL DEFAULT TRUE,
    sort      INT NOT NULL DEFAULT 0
);

-- Legal clocks per case type (docs/domain.md §3). `kind` fixes when a clock is met;
-- an administrator edits the length and whether it applies.
CREATE TABLE deadline_rules (
    id          SERIAL PRIMARY KEY,
    case_type   TEXT NOT NULL CHECK (case_type IN ('crime_report', 'security_incident', 'data_breach', 'feedback')),
    kind        TEXT NOT NULL CHECK (kind IN ('classify', 'assign', 'decide', 'final_report', 'notify')),
    amount      INT NOT NULL CHECK (amount > 0 AND amount <= 10000),
    unit        TEXT NOT NULL CHECK (unit IN ('hours', 'days')),
    starts_from TEXT NOT NULL CHECK (starts_from IN ('received', 'occurred', 'resolved')),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (case_type, kind)
);
INSERT INTO deadline_rules (case_type, kind, amount, unit, starts_from) VALUES
    ('crime_report', 'classify', 24, 'hours', 'received'),
    ('crime_report', 'assign', 3, 'days', 'received'),
    ('crime_report', 'decide', 20, 'days', 'received'),
    ('security_incident', 'final_report', 5, 'days', 'resolved'),
    ('data_breach', 'notify', 72, 'hours', 'occurred');

-- Next reference number per type and year. Taken with UPDATE … RETURNING inside the
-- creating transaction: concurrent creators queue on the row, a rollback gives the
-- number back, so there are neither duplicates nor gaps.
CREATE TABLE case_sequences (
    case_type TEXT NOT NULL,
    year      INT NOT NULL,
    last_seq  INT NOT NULL,
    PRIMARY KEY (case_type, year)
);

CREATE TABLE cases (
    id                    BIGSERIAL PRIMARY KEY,
    ref                   TEXT NOT NULL UNIQUE,
    case_type             TEXT NOT NULL CHECK (case_type IN ('crime_report', 'security_incident', 'data_breach', 'feedback')),
    ref_year              INT NOT NULL,
    ref_seq               INT NOT NULL,
    category_id           INT REFERENCES categories (id),
    subcategory_id        INT REFERENCES categories (id),
    title                 TEXT NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description           TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 20000),
    channel               TEXT NOT NULL CHECK (channel IN ('in_person', 'phone', 'post', 'email', 'online_portal', 'vneid', 'transfer')),
    severity              TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    tlp                   TEXT NOT NULL DEFAULT 'AMBER' CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')),
    confidential_reporter BOOLEAN NOT NULL DEFAULT FALSE,
    -- Only the assignee and supervisors may see these (docs/domain.md §1).
    restricted            BOOLEAN GENERATED ALWAYS AS (confidential_reporter OR tlp = 'RED') STORED,
    status                TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triaged', 'assigned', 'verifying', 'in_progress', 'awaiting_info', 'suspended', 'transferred', 'resolved', 'closed', 'merged')),
    assignee_id           BIGINT REFERENCES users (id),
    team                  TEXT CHECK (char_length(team) <= 80),
    received_at           TIMESTAMPTZ NOT NULL,
    occurred_at           TIMESTAMPTZ,
    detected_at           TIMESTAMPTZ,
    unit_name             TEXT NOT NULL,
    reporter_kind         TEXT NOT NULL DEFAULT 'individual' CHECK (reporter_kind IN ('individual', 'organisation', 'anonymous')),
    reporter_name         TEXT CHECK (char_length(reporter_name) <= 200),
    reporter_tax_code     TEXT CHECK (char_length(reporter_tax_code) <= 20),
    reporter_phone        TEXT CHECK (char_length(reporter_phone) <= 30),
    reporter_email        TEXT CHECK (char_length(reporter_email) <= 254),
    reporter_address      TEXT CHECK (char_length(reporter_address) <= 500),
    reporter_national_id  TEXT CHECK (char_length(reporter_national_id) <= 12),
    reporter_is_victim    BOOLEAN NOT NULL DEFAULT TRUE,
    victims               TEXT CHECK (char_length(victims) <= 2000),
    total_loss            BIGINT NOT NULL DEFAULT 0 CHECK (total_loss >= 0),
    affected_system       TEXT CHECK (char_length(affected_system) <= 300),
    system_security_level SMALLINT CHECK (system_security_level BETWEEN 1 AND 5),
    operating_unit        TEXT CHECK (char_length(operating_unit) <= 300),
    owner_agency          TEXT CHECK (char_length(owner_agency) <= 300),
    detection_method      TEXT CHECK (char_length(detection_method) <= 300),
    incident_state        TEXT CHECK (incident_state IN ('handled', 'not_handled')),
    ips_domains           TEXT CHECK (char_length(ips_domains) <= 2000),
    outcome               TEXT CHECK (outcome IN ('prosecuted', 'not_prosecuted', 'administrative_fine', 'remediated', 'no_violation')),
    resolution_summary    TEXT CHECK (char_length(resolution_summary) <= 5000),
    final_report_attached BOOLEAN NOT NULL DEFAULT FALSE,
    receiving_agency      TEXT CHECK (char_length(receiving_agency) <= 300),
    suspend_reason        TEXT CHECK (char_length(suspend_reason) <= 2000),
    merged_into_id        BIGINT REFERENCES cases (id),
    -- The nearest unmet legal clock, kept by the service for sorting and filters.
    deadline_at           TIMESTAMPTZ,
    deadline_kind         TEXT,
    -- Account numbers and other identifiers, so search finds them.
    search_extra          TEXT NOT NULL DEFAULT '',
    search_vec            TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', f_unaccent(
            ref || ' ' || title || ' ' || description || ' ' || coalesce(reporter_name, '') || ' ' ||
            coalesce(reporter_phone, '') || ' ' || search_extra))
    ) STORED,
    version               INT NOT NULL DEFAULT 1,
    created_by            BIGINT NOT NULL REFERENCES users (id),
    updated_by            BIGINT NOT NULL REFERENCES users (id),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (case_type, ref_year, ref_seq)
);
CREATE INDEX cases_received_idx ON cases (received_at DESC, id DESC);
CREATE INDEX cases_status_received_idx ON cases (status, received_at DESC, id DESC);
CREATE INDEX cases_assignee_idx ON cases (assignee_id, status);
CREATE INDEX cases_team_idx ON cases (team, status);
CREATE INDEX cases_created_by_idx ON cases (created_by);
CREATE INDEX cases_deadline_idx ON cases (deadline_at) WHERE deadline_at IS NOT NULL;
CREATE INDEX cases_updated_idx ON cases (updated_at DESC, id DESC);
CREATE INDEX cases_search_idx ON cases USING gin (search_vec);
CREATE INDEX cases_title_trgm_idx ON cases USING gin (f_unaccent(lower(title)) gin_trgm_ops);

CREATE TABLE case_transactions (
    id           BIGSERIAL PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position     INT NOT NULL,
    occurred_at  TIMESTAMPTZ,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    method       TEXT NOT NULL CHECK (method IN ('bank_transfer', 'ewallet', 'card', 'crypto', 'cash_deposit', 'other')),
    from_bank    TEXT CHECK (char_length(from_bank) <= 100),
    from_account TEXT CHECK (char_length(from_account) <= 100),
    to_bank      TEXT CHECK (char_length(to_bank) <= 100),
    to_account   TEXT CHECK (char_length(to_account) <= 100),
    to_holder    TEXT CHECK (char_length(to_holder) <= 200),
    reference    TEXT CHECK (char_length(reference) <= 100)
);
CREATE INDEX case_transactions_case_idx ON case_transactions (case_id, position);

-- The case timeline: notes, status changes, assignments, field changes, deadlines.
CREATE TABLE case_events (
    id        BIGSERIAL PRIMARY KEY,
    case_id   BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id  BIGINT REFERENCES users (id),
    kind      TEXT NOT NULL CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge', 'watcher')),
    field     TEXT,
    old_value TEXT,
    new_value TEXT,
    body      TEXT CHECK (char_length(body) <= 20000),
    data      JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX case_events_case_idx ON case_events (case_id, id);

CREATE TABLE case_watchers (
    case_id  BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id),
    added_by BIGINT NOT NULL REFERENCES users (id),
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_watchers_user_idx ON case_watchers (user_id);

-- Stored both ways so each side lists the other with one indexed lookup.
CREATE TABLE case_links (
    case_id    BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    other_id   BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, other_id),
    CHECK (case_id <> other_id)
);

-- Each clock of a case: when it started, when it is due, how often extended, when met.
CREATE TABLE case_deadlines (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    due_at     TIMESTAMPTZ NOT NULL,
    extensions INT NOT NULL DEFAULT 0,
    met_at     TIMESTAMPTZ,
    UNIQUE (case_id, kind)
);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud', NULL, 'Lừa đảo chiếm đoạt tài sản qua mạng', 'Online fraud', 10);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud_impersonation', (SELECT id FROM categories WHERE code = 'fraud'), 'Giả danh cơ quan chức năng (công an, viện kiểm sát, tòa án, thuế, CSGT, điện lực)', 'Impersonating authorities (police, procuracy, courts, tax, traffic police, power company)', 10);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud_investment', (SELECT id FROM categories WHERE code = 'fraud'), 'Đầu tư tài chính, tiền ảo, sàn giao dịch giả', 'Fake investment, crypto or trading platforms', 20);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud_jobs', (SELECT id FROM categories WHERE code = 'fraud'), 'Việc làm online, cộng tác viên', 'Fake online jobs, ''collaborator'' tasks', 30);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud_shopping', (SELECT id FROM categories WHERE code = 'fraud'), 'Mua bán online, đặt cọc', 'Online purchases, deposits', 40);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud_romance', (SELECT id FROM categories WHERE code = 'fraud'), 'Tình cảm, nhận quà', 'Romance, gifts', 50);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud_relatives', (SELECT id FROM categories WHERE code = 'fraud'), 'Giả mạo người thân, deepfake', 'Impersonating relatives, deepfake', 60);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud_recovery', (SELECT id FROM categories WHERE code = 'fraud'), 'Dịch vụ "lấy lại tiền bị lừa"', 'Fake recovery services', 70);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('fraud_other', (SELECT id FROM categories WHERE code = 'fraud'), 'Hình thức lừa đảo khác', 'Other fraud', 80);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('account_takeover', NULL, 'Chiếm đoạt tài khoản', 'Account takeover', 20);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('ato_social', (SELECT id FROM categories WHERE code = 'account_takeover'), 'Tài khoản mạng xã hội', 'Social network account', 10);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('ato_bank', (SELECT id FROM categories WHERE code = 'account_takeover'), 'Tài khoản ngân hàng', 'Bank account', 20);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('ato_ewallet', (SELECT id FROM categories WHERE code = 'account_takeover'), 'Ví điện tử', 'E-wallet', 30);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('ato_email', (SELECT id FROM categories WHERE code = 'account_takeover'), 'Thư điện tử', 'E-mail account', 40);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('phishing', NULL, 'Website, ứng dụng giả mạo, phishing', 'Fake websites or apps, phishing', 30);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('malware', NULL, 'Mã độc, mã hóa dữ liệu tống tiền', 'Malware, ransomware', 40);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('ddos', NULL, 'Tấn công từ chối dịch vụ (DDoS)', 'Denial of service (DDoS)', 50);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('deface', NULL, 'Thay đổi giao diện (deface)', 'Defacement', 60);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('intrusion', NULL, 'Xâm nhập trái phép, chiếm quyền điều khiển', 'Intrusion, system takeover', 70);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('data_leak', NULL, 'Lộ lọt, mua bán dữ liệu cá nhân', 'Personal data leak or trade', 80);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('gambling', NULL, 'Đánh bạc, tổ chức đánh bạc qua mạng', 'Online gambling', 90);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('disinformation', NULL, 'Thông tin sai sự thật, xúc phạm, vu khống trên mạng', 'False information, defamation online', 100);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('state_system', NULL, 'Sự cố ATTT tại hệ thống thông tin cơ quan nhà nước', 'Incident on a state information system', 110);
INSERT INTO categories (code, parent_id, name_vi, name_en, sort) VALUES ('other', NULL, 'Khác', 'Other', 120);
