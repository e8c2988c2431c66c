-- A corrected incident's events in the live feed's log take its corrected category, sensitivity and place,
-- so a replay decides who may receive them by what the incident is now.
CREATE OR REPLACE FUNCTION activity_feed_incident_corrected() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE activity_events
     SET category = NEW.category, sensitive = NEW.sensitive, latitude = NEW.latitude, longitude = NEW.longitude
   WHERE layer = 'INCIDENTS' AND record_id = NEW.id;
  RETURN NULL;
END $$;
