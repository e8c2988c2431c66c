-- An incident's delta, when it is written, moved or deleted (one row at a time: see activity_add).
CREATE OR REPLACE FUNCTION activity_incident_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM activity_add(1::smallint, OLD.h3_cell, OLD.occurred_at, OLD.category, OLD.sensitive, OLD.station_id,
                         -1, 0, 0, 0);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM activity_add(1::smallint, NEW.h3_cell, NEW.occurred_at, NEW.category, NEW.sensitive, NEW.station_id,
                         1, 0, 0, 0);
  END IF;
  RETURN NULL;
END $$;
