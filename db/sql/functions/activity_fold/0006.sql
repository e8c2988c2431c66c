-- Add signed deltas (one per record) to the rollups of every (grain, resolution) pair kept. PL/pgSQL, not
-- SQL: PostgreSQL plans a SQL function's body on every call, PL/pgSQL once per session.
CREATE OR REPLACE FUNCTION activity_fold(p_layer smallint, p_cells bigint[], p_ats timestamptz[], p_categories text[],
                              p_sensitive boolean[], p_stations bigint[], p_n bigint[],
                              p_minutes double precision[], p_meters double precision[],
                              p_attendees bigint[], p_women bigint[], p_youth bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity_rollups AS r (grain, res, bucket, cell, layer, category, sensitive, station_id,
                                     governorate, n, minutes, meters, attendees, women, youth)
  SELECT g.grain, g.res, activity_bucket(g.grain, x.at), activity_h3_parent(x.cell, g.res), p_layer,
         x.category, x.sensitive, x.station_id, min(s.governorate_code), sum(x.n), sum(x.minutes),
         sum(x.meters), sum(x.attendees), sum(x.women), sum(x.youth)
  FROM unnest(p_cells, p_ats, p_categories, p_sensitive, p_stations, p_n, p_minutes, p_meters, p_attendees,
              p_women, p_youth)
       AS x(cell, at, category, sensitive, station_id, n, minutes, meters, attendees, women, youth)
  JOIN stations s ON s.id = x.station_id
  CROSS JOIN (VALUES ('h'::"char", 10::smallint), ('d', 10), ('d', 8), ('m', 8), ('m', 6)) AS g(grain, res)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
END $$;
