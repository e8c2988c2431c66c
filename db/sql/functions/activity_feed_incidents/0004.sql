-- The live feed's events for the incidents a statement inserted (none while markaz.activity_feed is off).
CREATE OR REPLACE FUNCTION activity_feed_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('markaz.activity_feed', true) = 'off' THEN RETURN NULL; END IF;
  INSERT INTO activity_events (layer, record_id, station_id, governorate, latitude, longitude, occurred_at,
                               category, sensitive, officer_ids)
  SELECT 'INCIDENTS', i.id, i.station_id, s.governorate_code, i.latitude, i.longitude, i.occurred_at,
         i.category, i.sensitive, array_remove(ARRAY[i.reported_by_id], NULL) || i.assigned_officer_ids
  FROM added i JOIN stations s ON s.id = i.station_id ORDER BY i.id;
  IF FOUND THEN PERFORM activity_feed_mark(); END IF;
  RETURN NULL;
END $$;
