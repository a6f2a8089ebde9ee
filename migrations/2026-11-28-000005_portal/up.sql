-- Public reporting portal: submissions exactly as sent, their evidence files, the
-- public message thread, and normalised identifiers for hits across reports.

CREATE TABLE submissions (
    id               BIGSERIAL PRIMARY KEY,
    -- What the reporter quotes: 13 characters, no ambiguous ones (>= 64 random bits).
    tracking_code    TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('crime', 'incident', 'breach')),
    lang             TEXT NOT NULL CHECK (lang IN ('vi', 'en')),
    received_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    anonymous        BOOLEAN NOT NULL,
    confidential     BOOLEAN NOT NULL,
    reporter_name    TEXT CHECK (char_length(reporter_name) <= 200),
    -- Normalised contact the reporter tracks with (phone digits as +84..., e-mail lower-case).
    contact_phone    TEXT CHECK (char_length(contact_phone) <= 20),
    contact_email    TEXT CHECK (char_length(contact_email) <= 254),
    -- Anonymous reporters track with a secret shown once; only its SHA-256 is kept.
    secret_hash      BYTEA,
    category_id      INTEGER REFERENCES categories (id),
    summary          TEXT NOT NULL CHECK (char_length(summary) BETWEEN 1 AND 300),
    narrative        TEXT NOT NULL CHECK (char_length(narrative) <= 20000),
    occurred_at      TIMESTAMPTZ,
    total_loss       BIGINT NOT NULL DEFAULT 0 CHECK (total_loss >= 0),
    -- Everything the form carried, as sent (labels resolved at display time).
    payload          JSONB NOT NULL,
    -- The address it came from (abuse handling); never shown to the public.
    ip               TEXT,
    -- Triage state: the only columns that ever change.
    status           TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'info_requested', 'case', 'attached', 'spam')),
    case_id          BIGINT REFERENCES cases (id),
    triaged_by       BIGINT REFERENCES users (id),
    triaged_at       TIMESTAMPTZ,
    spam_reason      TEXT CHECK (char_length(spam_reason) <= 2000),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (anonymous OR contact_phone IS NOT NULL OR contact_email IS NOT NULL),
    CHECK (NOT anonymous OR secret_hash IS NOT NULL)
);
CREATE INDEX submissions_queue_idx ON submissions (received_at, id) WHERE status IN ('new', 'info_requested');
CREATE INDEX submissions_case_idx ON submissions (case_id) WHERE case_id IS NOT NULL;

-- A submission is kept exactly as sent: only the triage columns may change, and
-- nothing is ever deleted.
CREATE FUNCTION submissions_as_sent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'submissions are never deleted';
    END IF;
    IF (NEW.tracking_code, NEW.kind, NEW.lang, NEW.received_at, NEW.anonymous, NEW.confidential,
        NEW.reporter_name, NEW.contact_phone, NEW.contact_email, NEW.secret_hash, NEW.category_id,
        NEW.summary, NEW.narrative, NEW.occurred_at, NEW.total_loss, NEW.payload, NEW.ip)
       IS DISTINCT FROM
       (OLD.tracking_code, OLD.kind, OLD.lang, OLD.received_at, OLD.anonymous, OLD.confidential,
        OLD.reporter_name, OLD.contact_phone, OLD.contact_email, OLD.secret_hash, OLD.category_id,
        OLD.summary, OLD.narrative, OLD.occurred_at, OLD.total_loss, OLD.payload, OLD.ip) THEN
        RAISE EXCEPTION 'a submission is kept exactly as sent';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER submissions_as_sent BEFORE UPDATE OR DELETE ON submissions
    FOR EACH ROW EXECUTE FUNCTION submissions_as_sent();

-- Evidence received from the public. Stored under DATA_DIR by `storage_id`, never
-- by the sent name. A file uploaded with a form that had errors is staged under
-- the form's draft key until the form is sent.
CREATE TABLE submission_files (
    id             BIGSERIAL PRIMARY KEY,
    storage_id     TEXT NOT NULL UNIQUE,
    submission_id  BIGINT REFERENCES submissions (id),
    draft_key      TEXT,
    original_name  TEXT NOT NULL CHECK (char_length(original_name) <= 255),
    size_bytes     BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256         TEXT NOT NULL CHECK (char_length(sha256) = 64),
    detected_type  TEXT NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Sent later from the tracking page.
    follow_up      BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK (submission_id IS NOT NULL OR draft_key IS NOT NULL)
);
CREATE INDEX submission_files_submission_idx ON submission_files (submission_id);
CREATE INDEX submission_files_draft_idx ON submission_files (draft_key) WHERE submission_id IS NULL;

-- The public thread of a submission: officers' public messages and requests for
-- information, and what the reporter added later.
CREATE TABLE submission_messages (
    id             BIGSERIAL PRIMARY KEY,
    submission_id  BIGINT NOT NULL REFERENCES submissions (id),
    kind           TEXT NOT NULL CHECK (kind IN ('message', 'info_request', 'addition')),
    author_id      BIGINT REFERENCES users (id),
    body           TEXT NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX submission_messages_submission_idx ON submission_messages (submission_id, id);

-- Identifiers (docs/domain.md §7), typed and normalised so the same account or phone
-- written differently is one row, linked to every submission and case it appears in.
CREATE TABLE identifiers (
    id     BIGSERIAL PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('phone', 'bank_account', 'ewallet', 'email', 'url', 'domain',
                                          'ip', 'crypto_wallet', 'social', 'file_hash', 'other')),
    value  TEXT NOT NULL CHECK (char_length(value) BETWEEN 1 AND 500),
    UNIQUE (kind, value)
);
CREATE TABLE identifier_links (
    id             BIGSERIAL PRIMARY KEY,
    identifier_id  BIGINT NOT NULL REFERENCES identifiers (id),
    submission_id  BIGINT REFERENCES submissions (id),
    case_id        BIGINT REFERENCES cases (id),
    role           TEXT NOT NULL CHECK (role IN ('suspect', 'victim', 'infrastructure')),
    source         TEXT NOT NULL CHECK (source IN ('reporter', 'officer', 'extracted')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (submission_id IS NOT NULL OR case_id IS NOT NULL)
);
CREATE INDEX identifier_links_identifier_idx ON identifier_links (identifier_id);
CREATE INDEX identifier_links_submission_idx ON identifier_links (submission_id) WHERE submission_id IS NOT NULL;
CREATE INDEX identifier_links_case_idx ON identifier_links (case_id) WHERE case_id IS NOT NULL;

-- Keys generated on first start and shared by every instance (form timing and
-- challenge signatures).
CREATE TABLE app_secrets (
    name   TEXT PRIMARY KEY,
    value  BYTEA NOT NULL CHECK (octet_length(value) >= 32)
);

-- Vietnamese banks and payment intermediaries with their NAPAS/VietQR BINs
-- (shared/data/vn-banks.csv), for bank-account identifiers; editable later.
CREATE TABLE banks (
    code        TEXT PRIMARY KEY CHECK (code ~ '^[A-Z0-9-]{2,20}$'),
    bin         TEXT NOT NULL CHECK (bin ~ '^[0-9]{6}$'),
    short_name  TEXT NOT NULL,
    name_vi     TEXT NOT NULL,
    -- Former or colloquial names victims still use (LienVietPostBank for LPBank).
    aliases     TEXT[] NOT NULL DEFAULT '{}',
    sort        INTEGER NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO banks (code, bin, short_name, name_vi, aliases, sort) VALUES
    ('VCB', '970436', 'Vietcombank', 'Ngân hàng TMCP Ngoại Thương Việt Nam', ARRAY['Vietcom']::text[], 1),
    ('TCB', '970407', 'Techcombank', 'Ngân hàng TMCP Kỹ thương Việt Nam', ARRAY['Techcom']::text[], 2),
    ('MB', '970422', 'MBBank', 'Ngân hàng TMCP Quân đội', ARRAY['MB Bank','Ngân hàng Quân đội']::text[], 3),
    ('BIDV', '970418', 'BIDV', 'Ngân hàng TMCP Đầu tư và Phát triển Việt Nam', '{}'::text[], 4),
    ('ICB', '970415', 'VietinBank', 'Ngân hàng TMCP Công thương Việt Nam', ARRAY['CTG','Vietinbank']::text[], 5),
    ('ACB', '970416', 'ACB', 'Ngân hàng TMCP Á Châu', '{}'::text[], 6),
    ('VPB', '970432', 'VPBank', 'Ngân hàng TMCP Việt Nam Thịnh Vượng', '{}'::text[], 7),
    ('TPB', '970423', 'TPBank', 'Ngân hàng TMCP Tiên Phong', '{}'::text[], 8),
    ('STB', '970403', 'Sacombank', 'Ngân hàng TMCP Sài Gòn Thương Tín', ARRAY['Sacom']::text[], 9),
    ('VBA', '970405', 'Agribank', 'Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam', ARRAY['AGR']::text[], 10),
    ('HDB', '970437', 'HDBank', 'Ngân hàng TMCP Phát triển Thành phố Hồ Chí Minh', '{}'::text[], 11),
    ('VIB', '970441', 'VIB', 'Ngân hàng TMCP Quốc tế Việt Nam', '{}'::text[], 12),
    ('SHB', '970443', 'SHB', 'Ngân hàng TMCP Sài Gòn - Hà Nội', '{}'::text[], 13),
    ('MSB', '970426', 'MSB', 'Ngân hàng TMCP Hàng Hải Việt Nam', ARRAY['Maritime Bank','MaritimeBank']::text[], 14),
    ('OCB', '970448', 'OCB', 'Ngân hàng TMCP Phương Đông', '{}'::text[], 15),
    ('EIB', '970431', 'Eximbank', 'Ngân hàng TMCP Xuất Nhập khẩu Việt Nam', ARRAY['Exim']::text[], 16),
    ('LPB', '970449', 'LPBank', 'Ngân hàng TMCP Lộc Phát Việt Nam', ARRAY['LienVietPostBank','LienViet']::text[], 17),
    ('VCCB', '970454', 'VietCapitalBank', 'Ngân hàng TMCP Bản Việt', ARRAY['Ban Viet','BVBank']::text[], 18),
    ('BAB', '970409', 'BacABank', 'Ngân hàng TMCP Bắc Á', '{}'::text[], 19),
    ('PVCB', '970412', 'PVcomBank', 'Ngân hàng TMCP Đại Chúng Việt Nam', '{}'::text[], 20),
    ('SHBVN', '970424', 'ShinhanBank', 'Ngân hàng TNHH MTV Shinhan Việt Nam', '{}'::text[], 21),
    ('WVN', '970457', 'Woori', 'Ngân hàng TNHH MTV Woori Việt Nam', '{}'::text[], 22),
    ('KLB', '970452', 'KienLongBank', 'Ngân hàng TMCP Kiên Long', '{}'::text[], 23),
    ('VAB', '970427', 'VietABank', 'Ngân hàng TMCP Việt Á', '{}'::text[], 24),
    ('NAB', '970428', 'NamABank', 'Ngân hàng TMCP Nam Á', '{}'::text[], 25),
    ('PGB', '970430', 'PGBank', 'Ngân hàng TMCP Thịnh vượng và Phát triển', '{}'::text[], 26),
    ('SGICB', '970400', 'SaigonBank', 'Ngân hàng TMCP Sài Gòn Công Thương', '{}'::text[], 27),
    ('BVB', '970438', 'BaoVietBank', 'Ngân hàng TMCP Bảo Việt', '{}'::text[], 28),
    ('CAKE', '546034', 'CAKE', 'TMCP Việt Nam Thịnh Vượng - Ngân hàng số CAKE by VPBank', '{}'::text[], 29),
    ('TIMO', '963388', 'Timo', 'Ngân hàng số Timo by Ban Viet Bank', '{}'::text[], 30),
    ('VTLMONEY', '971005', 'ViettelMoney', 'Tổng Công ty Dịch vụ số Viettel', '{}'::text[], 31),
    ('VNPTMONEY', '971011', 'VNPTMoney', 'VNPT Money', '{}'::text[], 32),
    ('SEAB', '970440', 'SeABank', 'Ngân hàng TMCP Đông Nam Á', '{}'::text[], 33),
    ('ABB', '970425', 'ABBANK', 'Ngân hàng TMCP An Bình', '{}'::text[], 34),
    ('VIETBANK', '970433', 'VietBank', 'Ngân hàng TMCP Việt Nam Thương Tín', '{}'::text[], 35),
    ('COOPBANK', '970446', 'COOPBANK', 'Ngân hàng Hợp tác xã Việt Nam', '{}'::text[], 36),
    ('KBANK', '668888', 'KBank', 'Ngân hàng Đại chúng TNHH Kasikornbank', '{}'::text[], 37),
    ('HSBC', '458761', 'HSBC', 'Ngân hàng TNHH MTV HSBC (Việt Nam)', '{}'::text[], 38),
    ('SCVN', '970410', 'StandardChartered', 'Ngân hàng TNHH MTV Standard Chartered Bank Việt Nam', '{}'::text[], 39),
    ('CIMB', '422589', 'CIMB', 'Ngân hàng TNHH MTV CIMB Việt Nam', '{}'::text[], 40),
    ('DBS', '796500', 'DBSBank', 'DBS Bank Ltd - Chi nhánh Thành phố Hồ Chí Minh', '{}'::text[], 41),
    ('CITIBANK', '533948', 'Citibank', 'Ngân hàng Citibank N.A. - Chi nhánh Hà Nội', '{}'::text[], 42),
    ('HLBVN', '970442', 'HongLeong', 'Ngân hàng TNHH MTV Hong Leong Việt Nam', '{}'::text[], 43),
    ('UOB', '970458', 'UnitedOverseas', 'Ngân hàng United Overseas - Chi nhánh TP. Hồ Chí Minh', '{}'::text[], 44),
    ('CBB', '970444', 'CBBank', 'Ngân hàng Thương mại TNHH MTV Xây dựng Việt Nam', '{}'::text[], 45),
    ('GPB', '970408', 'GPBank', 'Ngân hàng Thương mại TNHH MTV Dầu Khí Toàn Cầu', '{}'::text[], 46),
    ('VRB', '970421', 'VRB', 'Ngân hàng Liên doanh Việt - Nga', '{}'::text[], 47),
    ('IVB', '970434', 'IndovinaBank', 'Ngân hàng TNHH Indovina', '{}'::text[], 48),
    ('PBVN', '970439', 'PublicBank', 'Ngân hàng TNHH MTV Public Việt Nam', '{}'::text[], 49),
    ('MAFC', '977777', 'MAFC', 'Công ty Tài chính TNHH MTV Mirae Asset (Việt Nam)', '{}'::text[], 50),
    ('VBSP', '999888', 'VBSP', 'Ngân hàng Chính sách Xã hội', '{}'::text[], 51),
    ('IBK-HCM', '970456', 'IBKHCM', 'Ngân hàng Công nghiệp Hàn Quốc - Chi nhánh TP. Hồ Chí Minh', '{}'::text[], 52),
    ('IBK-HN', '970455', 'IBKHN', 'Ngân hàng Công nghiệp Hàn Quốc - Chi nhánh Hà Nội', '{}'::text[], 53),
    ('KEBHANAHCM', '970466', 'KEBHanaHCM', 'Ngân hàng KEB Hana - Chi nhánh Thành phố Hồ Chí Minh', '{}'::text[], 54),
    ('KEBHANAHN', '970467', 'KEBHanaHN', 'Ngân hàng KEB Hana - Chi nhánh Hà Nội', '{}'::text[], 55),
    ('KBHCM', '970463', 'KookminHCM', 'Ngân hàng Kookmin - Chi nhánh Thành phố Hồ Chí Minh', '{}'::text[], 56),
    ('KBHN', '970462', 'KookminHN', 'Ngân hàng Kookmin - Chi nhánh Hà Nội', '{}'::text[], 57),
    ('MBV', '970414', 'MBV', 'Ngân hàng TNHH MTV Việt Nam Hiện Đại', '{}'::text[], 58),
    ('MOMO', '971025', 'MoMo', 'CTCP Dịch Vụ Di Động Trực Tuyến (ví MoMo)', '{}'::text[], 59),
    ('NCB', '970419', 'NCB', 'Ngân hàng TMCP Quốc Dân', '{}'::text[], 60),
    ('NHB-HN', '801011', 'Nonghyup', 'Ngân hàng Nonghyup - Chi nhánh Hà Nội', '{}'::text[], 61),
    ('PVDB', '971133', 'PVcomBank Pay', 'Ngân hàng TMCP Đại Chúng Việt Nam Ngân hàng số', '{}'::text[], 62),
    ('SCB', '970429', 'SCB', 'Ngân hàng TMCP Sài Gòn', '{}'::text[], 63),
    ('UBANK', '546035', 'Ubank', 'TMCP Việt Nam Thịnh Vượng - Ngân hàng số Ubank by VPBank', '{}'::text[], 64),
    ('VIKKI', '970406', 'Vikki', 'Ngân hàng TNHH MTV Số Vikki', '{}'::text[], 65);

-- Timeline entries for what reporters add later and for linked submissions.
ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge', 'watcher', 'reporter', 'submission'));
