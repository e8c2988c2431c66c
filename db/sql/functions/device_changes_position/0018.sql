-- At commit (a deferred constraint trigger): the transaction's position in the working set's change log.
-- The live feed's lock (activity_feed_position): held until the commit is visible, so the next position
-- is drawn only after this one can be seen, and one lock for both logs cannot deadlock.
CREATE OR REPLACE FUNCTION device_changes_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7272003);
  UPDATE device_commits SET position = nextval('device_position_seq'), committed_at = clock_timestamp()
   WHERE xid = NEW.xid;
  RETURN NULL;
END $$;
