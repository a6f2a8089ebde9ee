-- Transactional outbox: a mail is a row written in the same transaction as the
-- change that causes it, and a sender loop delivers it later (with retries).
CREATE TABLE email_outbox (
    id                BIGSERIAL PRIMARY KEY,
    -- What caused it (case_assigned, case_status, digest, ...): for the admin list.
    kind              TEXT NOT NULL CHECK (char_length(kind) <= 40),
    recipient         TEXT NOT NULL CHECK (char_length(recipient) BETWEEN 3 AND 254),
    recipient_user_id BIGINT REFERENCES users (id),
    lang              TEXT NOT NULL CHECK (lang IN ('vi', 'en')),
    subject           TEXT NOT NULL CHECK (char_length(subject) <= 300),
    body_text         TEXT NOT NULL,
    body_html         TEXT NOT NULL,
    case_id           BIGINT REFERENCES cases (id),
    -- Random part of the Message-ID, so ids cannot be guessed from the row number.
    token             TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    -- A queued row is due at this time; claiming a row pushes it forward (a lease),
    -- so a sender that dies mid-send leaves it to be picked up again.
    next_attempt_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error        TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at           TIMESTAMPTZ,
    -- At most one row per key (daily digests), whichever instance writes it.
    dedupe_key        TEXT UNIQUE
);
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX email_outbox_list_idx ON email_outbox (status, id DESC);

-- Optional events a user has switched off (assignment mails cannot be).
ALTER TABLE users ADD COLUMN mail_off TEXT[] NOT NULL DEFAULT '{}';

-- One row per local day whose digests have been queued: the instance that inserts
-- it writes them, in the same transaction.
CREATE TABLE mail_digest_runs (
    day        DATE PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
