-- At commit (a deferred constraint trigger): the transaction's position in the feed, and NOTIFY.
CREATE OR REPLACE FUNCTION activity_feed_position() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  given bigint;
BEGIN
  -- Held until the commit is visible: the next position is drawn only after this one can be seen.
  PERFORM pg_advisory_xact_lock(7272003);
  given := nextval('activity_position_seq');
  UPDATE activity_commits SET position = given, committed_at = clock_timestamp() WHERE xid = NEW.xid;
  PERFORM pg_notify('markaz_activity', given::text);
  RETURN NULL;
END $$;
