-- Resumable (tus) uploads in progress. The partial bytes live in the staging directory
-- (`resumable/<id>.part`); upload_offset is how many of them are durable (fsynced before the
-- offset is written), so a crash mid-request resumes from it. A finished upload's row is
-- deleted in the transaction that creates its video; an expired one is swept with its file.
CREATE TABLE tus_uploads (
    id            TEXT    PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    upload_length BIGINT  NOT NULL,
    upload_offset BIGINT  NOT NULL DEFAULT 0,
    -- The Upload-Metadata header as the client sent it (checked and bounded at creation).
    metadata      TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL
);
CREATE INDEX tus_uploads_by_account ON tus_uploads (account_id, expires_at);
CREATE INDEX tus_uploads_by_expiry ON tus_uploads (expires_at);
