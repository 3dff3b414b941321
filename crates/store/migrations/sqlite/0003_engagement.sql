-- Engagement events, their per-period and per-day aggregates, moderation, payout periods and
-- the ledger (SQLite). Times are BIGINT microseconds since the Unix epoch, UTC; a period is a
-- calendar month written 'YYYY-MM'; a day is a count of UTC days since 1970-01-01. A viewer is
-- 'u:<account id>' for a signed-in user or 'a:<client-chosen id>' for an anonymous one.

-- Every watch report, counted or not: the raw log. A session reports once; a second report of
-- the same session gets the stored outcome back (idempotency).
CREATE TABLE view_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id        BIGINT  NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    viewer          TEXT    NOT NULL,
    session_id      TEXT    NOT NULL,
    watched_seconds REAL    NOT NULL,
    counted         BIGINT  NOT NULL,
    -- Why a watch did not count: too_short, within_window or daily_cap; NULL when counted.
    reason          TEXT,
    at              BIGINT  NOT NULL,
    UNIQUE (video_id, viewer, session_id)
);

-- Per viewer and video: the state the dedup rules need (last counted view, the UTC day of the
-- daily cap and the views counted on it) and the all-time count behind R.
CREATE TABLE viewer_videos (
    video_id        BIGINT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    viewer          TEXT   NOT NULL,
    views           BIGINT NOT NULL DEFAULT 0,
    last_counted_at BIGINT,
    cap_day         BIGINT NOT NULL DEFAULT 0,
    cap_day_views   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, viewer)
);

-- Per viewer, video and period: the counts behind the period's distinct and repeat viewers.
CREATE TABLE viewer_video_periods (
    video_id BIGINT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    period   TEXT   NOT NULL,
    viewer   TEXT   NOT NULL,
    views    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, period, viewer)
);

-- The period's engagement aggregates per video (the allocation's input), like video_stats.
CREATE TABLE video_period_stats (
    period           TEXT   NOT NULL,
    video_id         BIGINT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    qualified_views  BIGINT NOT NULL DEFAULT 0,
    likes            BIGINT NOT NULL DEFAULT 0,
    comments         BIGINT NOT NULL DEFAULT 0,
    shares           BIGINT NOT NULL DEFAULT 0,
    completion_sum   REAL   NOT NULL DEFAULT 0,
    distinct_viewers BIGINT NOT NULL DEFAULT 0,
    repeat_viewers   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (period, video_id)
);
CREATE INDEX video_period_stats_by_video ON video_period_stats (video_id, period);

-- Qualified views per video per UTC day, for charts.
CREATE TABLE video_daily_stats (
    video_id        BIGINT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    day             BIGINT NOT NULL,
    qualified_views BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, day)
);

-- One like per account per video.
CREATE TABLE likes (
    video_id   BIGINT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (video_id, account_id)
);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id   BIGINT  NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    account_id BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX comments_by_video ON comments (video_id, id);

-- Shares count at most once per account per video per UTC day.
CREATE TABLE shares (
    video_id   BIGINT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (video_id, account_id, day)
);

-- One report per account per video.
CREATE TABLE reports (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id   BIGINT  NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    account_id BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    reason     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    UNIQUE (video_id, account_id)
);

-- A video's moderation state. Reports since the last decision accumulate; past the threshold
-- the video is under review and videos.compliance is 0 until a moderator decides.
CREATE TABLE moderation (
    video_id        BIGINT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
    under_review    BIGINT NOT NULL DEFAULT 0,
    pending_reports BIGINT NOT NULL DEFAULT 0,
    note            TEXT,
    decided_by      BIGINT,
    decided_at      BIGINT
);

-- Every moderator decision, kept.
CREATE TABLE moderation_decisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id     BIGINT  NOT NULL,
    moderator_id BIGINT  NOT NULL,
    compliance   REAL    NOT NULL,
    note         TEXT    NOT NULL,
    decided_at   BIGINT  NOT NULL
);

-- Closed periods, with the parameters the split used.
CREATE TABLE payout_periods (
    period      TEXT   PRIMARY KEY,
    pool_cents  BIGINT NOT NULL,
    alpha       REAL   NOT NULL,
    lambda_fair REAL   NOT NULL,
    lambda_eff  REAL   NOT NULL,
    closed_at   BIGINT NOT NULL
);

-- The ledger: one line per earning video of a closed period, in cents. No foreign key to
-- videos: a deleted video's payout stays on the books. Never updated or deleted.
CREATE TABLE ledger_lines (
    period          TEXT   NOT NULL REFERENCES payout_periods(period),
    video_id        BIGINT NOT NULL,
    account_id      BIGINT NOT NULL,
    qualified_views BIGINT NOT NULL,
    quality         REAL   NOT NULL,
    share           REAL   NOT NULL,
    amount_cents    BIGINT NOT NULL,
    PRIMARY KEY (period, video_id)
);
CREATE INDEX ledger_lines_by_account ON ledger_lines (account_id, period);

CREATE TRIGGER ledger_lines_are_immutable_update BEFORE UPDATE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'ledger lines are immutable'); END;
CREATE TRIGGER ledger_lines_are_immutable_delete BEFORE DELETE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'ledger lines are immutable'); END;
CREATE TRIGGER payout_periods_are_immutable_update BEFORE UPDATE ON payout_periods
BEGIN SELECT RAISE(ABORT, 'closed periods are immutable'); END;
CREATE TRIGGER payout_periods_are_immutable_delete BEFORE DELETE ON payout_periods
BEGIN SELECT RAISE(ABORT, 'closed periods are immutable'); END;
