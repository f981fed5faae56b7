-- Feed cursors counted per feed (docs/api.md, "The notification feed").
--
-- Cursors (notification_outbox.feed_seq) came from one sequence shared by every service's feed, and
-- a resume cursor was checked against the highest feed_seq among the feed's rows that still exist.
-- So (1) a cursor the feed really sent became INVALID_CURSOR once its newest rows were deleted
-- (EraseUserData, outbox retention), and (2) one service's cursors had gaps that told it how many
-- notifications other services' feeds got, and when.
--
-- Now each feed keeps the last cursor it handed out (notification_feeds.last_seq), and a resume cursor
-- is checked against it, which no deletion lowers. The cursor is given by a trigger whenever a row's
-- feed_seq is set: the next value of its feed's counter, whatever value the statement wrote. So the
-- previous release's processes, still running during a rolling deploy and still setting feed_seq to
-- nextval('notification_feed_seq'), publish with per-feed cursors too (they would fail, and spend
-- delivery attempts, were the sequence gone; a later release drops it). Publishing holds the feed's
-- advisory lock to commit in both releases, so cursors still become visible in increasing order. No
-- user's data: notification_feeds has no row-level security. Each existing feed starts above every
-- cursor the shared sequence gave out (so new cursors stay above the old ones, and an old cursor
-- whose rows are gone stays valid); a feed created from now on counts 1, 2, 3...
ALTER TABLE notification_feeds ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;

UPDATE notification_feeds f
SET last_seq = greatest(
    (SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END FROM notification_feed_seq s),
    (SELECT coalesce(max(o.feed_seq), 0) FROM notification_outbox o
     WHERE o.channel = 'feed' AND o.target_id = f.id AND o.feed_seq IS NOT NULL));

CREATE FUNCTION notification_feed_cursor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.channel = 'feed' AND NEW.feed_seq IS NOT NULL AND NEW.feed_seq IS DISTINCT FROM OLD.feed_seq THEN
        UPDATE notification_feeds SET last_seq = last_seq + 1 WHERE id = NEW.target_id
        RETURNING last_seq INTO NEW.feed_seq;
        IF NEW.feed_seq IS NULL THEN
            RAISE EXCEPTION 'notification feed % does not exist', NEW.target_id;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER notification_feed_cursor BEFORE UPDATE OF feed_seq ON notification_outbox
    FOR EACH ROW EXECUTE FUNCTION notification_feed_cursor();
