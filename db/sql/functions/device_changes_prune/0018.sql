-- The oldest positions of the working set's log committed before p_before (up to p_limit), with their
-- rows; raises the horizon. The positions removed.
CREATE OR REPLACE FUNCTION device_changes_prune(p_before timestamptz, p_limit integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  h bigint;
  upto bigint;
  removed bigint;
BEGIN
  SELECT position INTO h FROM device_sync_horizon FOR UPDATE;
  SELECT max(c.position), count(*) INTO upto, removed
  FROM (SELECT position, committed_at FROM device_commits WHERE position > h
        ORDER BY position LIMIT p_limit) c
  WHERE c.committed_at < p_before;
  IF upto IS NULL THEN
    RETURN 0;
  END IF;
  WITH gone AS (DELETE FROM device_commits WHERE position > h AND position <= upto RETURNING xid)
  DELETE FROM device_changes d USING gone WHERE d.xid = gone.xid;
  UPDATE device_sync_horizon SET position = upto, pruned_at = now();
  RETURN removed;
END $$;
