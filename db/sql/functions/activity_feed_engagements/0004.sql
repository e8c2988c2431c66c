-- The live feed's events for the engagements a statement inserted (none while markaz.activity_feed is off).
CREATE OR REPLACE FUNCTION activity_feed_engagements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('markaz.activity_feed', true) = 'off' THEN RETURN NULL; END IF;
  INSERT INTO activity_events (layer, record_id, station_id, governorate, latitude, longitude, occurred_at,
                               category, officer_ids)
  SELECT 'ENGAGEMENTS', e.id, e.station_id, s.governorate_code, e.latitude, e.longitude, e.occurred_at,
         e.kind, ARRAY[e.officer_id]
  FROM added e JOIN stations s ON s.id = e.station_id ORDER BY e.id;
  IF FOUND THEN PERFORM activity_feed_mark(); END IF;
  RETURN NULL;
END $$;
