-- Video API drafts took their title from the upload's file name (up to 255 bytes) without the
-- title rule (1 to 150 characters). Titles are now typed end to end and read back with that
-- rule, so cut the few longer ones to 150 characters (SQLite's substr counts characters).
UPDATE videos SET title = trim(substr(title, 1, 150)) WHERE length(title) > 150;
