-- 0011: household engagements (sensitive) are counted apart, in activity_cells.sensitive_engagements.
CREATE OR REPLACE FUNCTION activity_fold(p_layer smallint, p_cells bigint[], p_ats timestamptz[],
                              p_categories text[], p_sensitive boolean[], p_stations bigint[], p_n bigint[],
                              p_minutes double precision[], p_meters double precision[],
                              p_attendees bigint[], p_women bigint[], p_youth bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH d AS (
    SELECT g.grain, g.res, activity_bucket(g.grain, x.at) AS bucket, activity_h3_parent(x.cell, g.res) AS cell,
           x.category, x.sensitive, x.station_id, min(s.governorate_code) AS governorate, sum(x.n) AS n,
           sum(x.minutes) AS minutes, sum(x.meters) AS meters, sum(x.attendees) AS attendees,
           sum(x.women) AS women, sum(x.youth) AS youth
    FROM unnest(p_cells, p_ats, p_categories, p_sensitive, p_stations, p_n, p_minutes, p_meters, p_attendees,
                p_women, p_youth)
         AS x(cell, at, category, sensitive, station_id, n, minutes, meters, attendees, women, youth)
    JOIN stations s ON s.id = x.station_id
    CROSS JOIN (VALUES ('h'::"char", 10::smallint), ('d', 10), ('d', 8), ('m', 8), ('m', 6)) AS g(grain, res)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
  ), detailed AS (
    INSERT INTO activity_rollups (grain, res, bucket, cell, layer, category, sensitive, station_id,
                                  governorate, n, minutes, meters, attendees, women, youth)
    SELECT grain, res, bucket, cell, p_layer, category, sensitive, station_id, governorate, n, minutes, meters,
           attendees, women, youth FROM d
  )
  INSERT INTO activity_cells (grain, res, bucket, cell, station_id, governorate, incidents, sensitive,
                              engagements, sensitive_engagements, patrol_minutes)
  SELECT grain, res, bucket, cell, station_id, min(governorate),
         CASE WHEN p_layer = 1 THEN coalesce(sum(n) FILTER (WHERE NOT sensitive), 0) ELSE 0 END,
         CASE WHEN p_layer = 1 THEN coalesce(sum(n) FILTER (WHERE sensitive), 0) ELSE 0 END,
         CASE WHEN p_layer = 2 THEN coalesce(sum(n) FILTER (WHERE NOT sensitive), 0) ELSE 0 END,
         CASE WHEN p_layer = 2 THEN coalesce(sum(n) FILTER (WHERE sensitive), 0) ELSE 0 END,
         CASE WHEN p_layer = 3 THEN sum(minutes) ELSE 0 END
  FROM d GROUP BY 1, 2, 3, 4, 5;
END $$;
