-- 0011: sensitivity is decided by markaz_sensitive_incident (the category, or the officer's mark).
CREATE OR REPLACE FUNCTION activity_incident_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM activity_add(1::smallint, OLD.h3_cell, OLD.occurred_at, OLD.category,
                         markaz_sensitive_incident(OLD.category, OLD.sensitive), OLD.station_id, -1, 0, 0, 0);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM activity_add(1::smallint, NEW.h3_cell, NEW.occurred_at, NEW.category,
                         markaz_sensitive_incident(NEW.category, NEW.sensitive), NEW.station_id, 1, 0, 0, 0);
  END IF;
  RETURN NULL;
END $$;
