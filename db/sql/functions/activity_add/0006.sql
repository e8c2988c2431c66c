-- One record's delta, for the row triggers of incidents and engagements: an app writes one record per
-- statement, and a row trigger then costs one insert of five rows, with no transition table.
CREATE OR REPLACE FUNCTION activity_add(p_layer smallint, p_cell bigint, p_at timestamptz, p_category text,
                             p_sensitive boolean, p_station bigint, p_n bigint, p_attendees bigint,
                             p_women bigint, p_youth bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity_rollups AS r (grain, res, bucket, cell, layer, category, sensitive, station_id,
                                     governorate, n, attendees, women, youth)
  SELECT g.grain, g.res, activity_bucket(g.grain, p_at), activity_h3_parent(p_cell, g.res), p_layer,
         p_category, p_sensitive, p_station, s.governorate_code, p_n, p_attendees, p_women, p_youth
  FROM (VALUES ('h'::"char", 10::smallint), ('d', 10), ('d', 8), ('m', 8), ('m', 6)) AS g(grain, res)
  JOIN stations s ON s.id = p_station;
END $$;
