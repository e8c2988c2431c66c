-- Merge the delta rows of each key into one (sums unchanged): readers see the rows before or after, never
-- a mix (one statement, one snapshot); concurrent writers only insert, so nobody waits for it but another
-- compaction, which then skips the rows this one deleted.
CREATE OR REPLACE FUNCTION activity_compact() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE merged bigint;
BEGIN
  WITH moved AS (
    DELETE FROM activity_rollups RETURNING *
  ), summed AS (
    INSERT INTO activity_rollups (grain, res, bucket, cell, layer, category, sensitive, station_id, governorate,
                                  n, minutes, meters, attendees, women, youth)
    SELECT grain, res, bucket, cell, layer, category, sensitive, station_id, min(governorate), sum(n),
           sum(minutes), sum(meters), sum(attendees), sum(women), sum(youth)
    FROM moved GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    HAVING sum(n) <> 0 OR abs(sum(minutes)) > 1e-9 OR abs(sum(meters)) > 1e-6 OR sum(attendees) <> 0
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM moved) - (SELECT count(*) FROM summed) INTO merged;
  RETURN merged;
END $$;
