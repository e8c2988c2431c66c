-- Merge the rows of the keys of up to p_limit fresh rows of each table into one row per key (sums
-- unchanged; a key whose sums are all zero goes). Readers see the rows before or after, never a mix (one
-- statement per table, one transaction); writers only insert, so nobody waits for it, and the rows they
-- commit meanwhile stay fresh for the next run. One run at a time (the advisory lock). Returns the fresh
-- rows it took from both tables; fewer than p_limit means neither had more.
CREATE OR REPLACE FUNCTION activity_compact(p_limit integer DEFAULT 50000) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE taken bigint; taken_cells bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('activity_compact'));
  WITH keys AS (
    SELECT DISTINCT grain, res, bucket, cell, layer, category, sensitive, station_id
    FROM (SELECT * FROM activity_rollups WHERE fresh LIMIT p_limit) f
  ), moved AS (
    DELETE FROM activity_rollups r USING keys k
    WHERE r.grain = k.grain AND r.res = k.res AND r.bucket = k.bucket AND r.cell = k.cell AND r.layer = k.layer
      AND r.category = k.category AND r.sensitive = k.sensitive AND r.station_id = k.station_id
    RETURNING r.*
  ), summed AS (
    INSERT INTO activity_rollups (grain, res, bucket, cell, layer, category, sensitive, station_id, governorate,
                                  n, minutes, meters, attendees, women, youth, fresh)
    SELECT grain, res, bucket, cell, layer, category, sensitive, station_id, min(governorate), sum(n),
           sum(minutes), sum(meters), sum(attendees), sum(women), sum(youth), false
    FROM moved GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    HAVING sum(n) <> 0 OR abs(sum(minutes)) > 1e-9 OR abs(sum(meters)) > 1e-6 OR sum(attendees) <> 0
  )
  SELECT count(*) FILTER (WHERE fresh) INTO taken FROM moved;
  WITH keys AS (
    SELECT DISTINCT grain, res, bucket, cell, station_id
    FROM (SELECT * FROM activity_cells WHERE fresh LIMIT p_limit) f
  ), moved AS (
    DELETE FROM activity_cells c USING keys k
    WHERE c.grain = k.grain AND c.res = k.res AND c.cell = k.cell AND c.bucket = k.bucket
      AND c.station_id = k.station_id
    RETURNING c.*
  ), summed AS (
    INSERT INTO activity_cells (grain, res, bucket, cell, station_id, governorate, incidents, sensitive,
                                engagements, patrol_minutes, fresh)
    SELECT grain, res, bucket, cell, station_id, min(governorate), sum(incidents), sum(sensitive),
           sum(engagements), sum(patrol_minutes), false
    FROM moved GROUP BY 1, 2, 3, 4, 5
    HAVING sum(incidents) <> 0 OR sum(sensitive) <> 0 OR sum(engagements) <> 0
        OR abs(sum(patrol_minutes)) > 1e-9
  )
  SELECT count(*) FILTER (WHERE fresh) INTO taken_cells FROM moved;
  RETURN taken + taken_cells;
END $$;
