-- 0007: the map totals (activity_cells) are written from the same delta rows, in the same statement.
CREATE OR REPLACE FUNCTION activity_add(p_layer smallint, p_cell bigint, p_at timestamptz, p_category text,
                             p_sensitive boolean, p_station bigint, p_n bigint, p_attendees bigint,
                             p_women bigint, p_youth bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH d AS (
    SELECT g.grain, g.res, activity_bucket(g.grain, p_at) AS bucket, activity_h3_parent(p_cell, g.res) AS cell,
           s.governorate_code AS governorate
    FROM (VALUES ('h'::"char", 10::smallint), ('d', 10), ('d', 8), ('m', 8), ('m', 6)) AS g(grain, res)
    JOIN stations s ON s.id = p_station
  ), detailed AS (
    INSERT INTO activity_rollups (grain, res, bucket, cell, layer, category, sensitive, station_id,
                                  governorate, n, attendees, women, youth)
    SELECT grain, res, bucket, cell, p_layer, p_category, p_sensitive, p_station, governorate, p_n,
           p_attendees, p_women, p_youth FROM d
  )
  INSERT INTO activity_cells (grain, res, bucket, cell, station_id, governorate, incidents, sensitive,
                              engagements, patrol_minutes)
  SELECT grain, res, bucket, cell, p_station, governorate,
         CASE WHEN p_layer = 1 AND NOT p_sensitive THEN p_n ELSE 0 END,
         CASE WHEN p_layer = 1 AND p_sensitive THEN p_n ELSE 0 END,
         CASE WHEN p_layer = 2 THEN p_n ELSE 0 END, 0
  FROM d;
END $$;
