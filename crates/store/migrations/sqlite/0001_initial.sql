-- reelshare's initial schema (SQLite). Times are BIGINT microseconds since the Unix epoch,
-- UTC; flags are 0/1 integers so the same queries run unchanged on PostgreSQL.

-- An account is both the Creator API's creator (integer id) and the Video API's user
-- (public_id). Accounts without a username (the seeded "John Doe") cannot log in.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id     TEXT    NOT NULL UNIQUE,
    username      TEXT    UNIQUE,
    password_hash TEXT,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL DEFAULT 'user',
    created_at    BIGINT  NOT NULL
);

-- Bearer tokens, stored only as SHA-256 hashes.
CREATE TABLE auth_tokens (
    token_hash TEXT    PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    revoked_at BIGINT
);

-- One row per upload, from the moment its bytes are durable. status is processing, ready or
-- failed (then failure_reason holds one of the fixed messages). A ready video with no
-- listed_at is a draft.
CREATE TABLE videos (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    hash_id        TEXT    NOT NULL UNIQUE,
    account_id     BIGINT  NOT NULL REFERENCES accounts(id),
    file_name      TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL,
    failure_reason TEXT,
    content_type   TEXT    NOT NULL,
    size_in_bytes  BIGINT  NOT NULL,
    duration_ms    BIGINT,
    width          BIGINT,
    height         BIGINT,
    is_private     BIGINT  NOT NULL DEFAULT 0,
    uploaded_at    BIGINT  NOT NULL,
    listed_at      BIGINT,
    compliance     REAL    NOT NULL DEFAULT 1
);
CREATE INDEX videos_by_account ON videos (account_id, id);
-- The explore feed: keyset paging on (listed_at, id), newest first.
CREATE INDEX videos_explore ON videos (listed_at DESC, id DESC)
    WHERE listed_at IS NOT NULL AND is_private = 0;

-- Engagement aggregates per video, updated as events arrive so reads are O(1).
CREATE TABLE video_stats (
    video_id           BIGINT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
    qualified_views    BIGINT NOT NULL DEFAULT 0,
    likes              BIGINT NOT NULL DEFAULT 0,
    comments           BIGINT NOT NULL DEFAULT 0,
    shares             BIGINT NOT NULL DEFAULT 0,
    completion_sum     REAL   NOT NULL DEFAULT 0,
    distinct_viewers   BIGINT NOT NULL DEFAULT 0,
    repeat_viewers     BIGINT NOT NULL DEFAULT 0
);

-- Follows between accounts.
CREATE TABLE follows (
    follower_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    followee_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);

-- The durable processing queue. A worker claims a queued job by setting locked_until; a job
-- whose lock expired is claimable again (a crashed worker), until attempts run out.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    video_id     BIGINT  NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'queued',
    attempts     BIGINT  NOT NULL DEFAULT 0,
    run_after    BIGINT  NOT NULL,
    locked_until BIGINT,
    last_error   TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX jobs_ready ON jobs (state, run_after);
