-- Feed cursors counted per feed (docs/api.md, "The notification feed").
--
-- Cursors (notification_outbox.feed_seq) came from one sequence shared by every service's feed, and
-- a resume cursor was checked against the highest feed_seq among the feed's rows that still exist.
-- So (1) a cursor the feed really sent became INVALID_CURSOR once its newest rows were deleted
-- (EraseUserData, outbox retention), and (2) one service's cursors had gaps that told it how many
-- notifications other services' feeds got, and when.
--
-- Now each feed keeps the last cursor it handed out: publish_feed takes last_seq + 1 under the
-- feed's advisory lock (held to commit, so cursors still become visible in increasing order), and a
-- resume cursor is checked against last_seq, which no deletion lowers. No user's data: the table has
-- no row-level security. Each existing feed starts above every cursor the shared sequence gave out
-- (so new cursors stay above the old ones, and an old cursor whose rows are gone stays valid); a feed
-- created from now on counts 1, 2, 3...
ALTER TABLE notification_feeds ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;

UPDATE notification_feeds f
SET last_seq = greatest(
    (SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END FROM notification_feed_seq s),
    (SELECT coalesce(max(o.feed_seq), 0) FROM notification_outbox o
     WHERE o.channel = 'feed' AND o.target_id = f.id AND o.feed_seq IS NOT NULL));

DROP SEQUENCE notification_feed_seq;
