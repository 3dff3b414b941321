-- The Creator API's creator reads: /get-creator-by-name takes the lowest id with a display
-- name (an index seek instead of a scan of every account), and every creator row
-- (/get-creator-data, /list-creators) counts the creator's followers, which the follows
-- primary key (follower_id first) cannot find without a scan.
CREATE INDEX accounts_by_display_name ON accounts (display_name, id);
CREATE INDEX follows_by_followee ON follows (followee_id, follower_id);
