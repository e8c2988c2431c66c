-- One position per patrol per batch of fixes: the newest fix of the batch.
CREATE OR REPLACE FUNCTION activity_feed_patrol_fixes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('markaz.activity_feed', true) = 'off' THEN RETURN NULL; END IF;
  INSERT INTO activity_events (layer, record_id, station_id, governorate, latitude, longitude, occurred_at,
                               officer_ids)
  SELECT 'PATROLS', f.patrol_id, p.station_id, s.governorate_code, f.latitude, f.longitude, f.recorded_at,
         p.officer_ids
  FROM (SELECT DISTINCT ON (patrol_id) * FROM added ORDER BY patrol_id, recorded_at DESC) f
  JOIN patrols p ON p.id = f.patrol_id JOIN stations s ON s.id = p.station_id ORDER BY f.patrol_id;
  IF FOUND THEN PERFORM activity_feed_mark(); END IF;
  RETURN NULL;
END $$;
