-- The per-viewer dedup tables are read and written only by their primary keys. WITHOUT ROWID
-- keeps each row once, in its key's b-tree, instead of a rowid table plus an index on the
-- key: half the b-tree writes for every viewer a batch of watch reports touches (SQLite only;
-- PostgreSQL has no such choice to make).

CREATE TABLE viewer_videos_by_key (
    video_id        BIGINT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    viewer          TEXT   NOT NULL,
    views           BIGINT NOT NULL DEFAULT 0,
    last_counted_at BIGINT,
    cap_day         BIGINT NOT NULL DEFAULT 0,
    cap_day_views   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, viewer)
) WITHOUT ROWID;
INSERT INTO viewer_videos_by_key
    SELECT video_id, viewer, views, last_counted_at, cap_day, cap_day_views FROM viewer_videos;
DROP TABLE viewer_videos;
ALTER TABLE viewer_videos_by_key RENAME TO viewer_videos;

CREATE TABLE viewer_video_periods_by_key (
    video_id BIGINT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    period   TEXT   NOT NULL,
    viewer   TEXT   NOT NULL,
    views    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, period, viewer)
) WITHOUT ROWID;
INSERT INTO viewer_video_periods_by_key
    SELECT video_id, period, viewer, views FROM viewer_video_periods;
DROP TABLE viewer_video_periods;
ALTER TABLE viewer_video_periods_by_key RENAME TO viewer_video_periods;
