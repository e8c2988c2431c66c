-- The oldest positions committed before p_before (up to p_limit), with their events; raises the horizon.
CREATE OR REPLACE FUNCTION activity_feed_prune(p_before timestamptz, p_limit integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  h bigint;
  upto bigint;
  removed bigint;
BEGIN
  -- The row lock makes pruners take turns; readers of the horizon do not wait.
  SELECT position INTO h FROM activity_feed_horizon FOR UPDATE;
  SELECT max(c.position) INTO upto
  FROM (SELECT position, committed_at FROM activity_commits WHERE position > h
        ORDER BY position LIMIT p_limit) c
  WHERE c.committed_at < p_before;
  IF upto IS NULL THEN
    RETURN 0;
  END IF;
  WITH gone AS (DELETE FROM activity_commits WHERE position > h AND position <= upto RETURNING xid)
  DELETE FROM activity_events e USING gone WHERE e.xid = gone.xid;
  GET DIAGNOSTICS removed = ROW_COUNT;
  UPDATE activity_feed_horizon SET position = upto, pruned_at = now();
  RETURN removed;
END $$;
