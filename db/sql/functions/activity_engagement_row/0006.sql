-- An engagement's delta, when it is written, moved or deleted (one row at a time: see activity_add).
CREATE OR REPLACE FUNCTION activity_engagement_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM activity_add(2::smallint, OLD.h3_cell, OLD.occurred_at, OLD.kind, false, OLD.station_id, -1,
                         -OLD.attendees_total, -OLD.attendees_women, -OLD.attendees_youth);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM activity_add(2::smallint, NEW.h3_cell, NEW.occurred_at, NEW.kind, false, NEW.station_id, 1,
                         NEW.attendees_total, NEW.attendees_women, NEW.attendees_youth);
  END IF;
  RETURN NULL;
END $$;
