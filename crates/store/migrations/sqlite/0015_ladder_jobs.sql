-- The rendition ladder as a durable job (issue 12): `jobs.kind` is now 'process_upload' or
-- 'ladder'. A ladder job is queued in the transaction that marks its video ready, once per
-- video; this index keeps it to one, and finds a video's ladder job without a scan.
CREATE UNIQUE INDEX jobs_one_ladder_per_video ON jobs (video_id) WHERE kind = 'ladder';
