-- 0011: household engagements are sensitive (markaz_sensitive_engagement).
CREATE OR REPLACE FUNCTION activity_engagement_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM activity_add(2::smallint, OLD.h3_cell, OLD.occurred_at, OLD.kind, markaz_sensitive_engagement(OLD.kind),
                         OLD.station_id, -1, -OLD.attendees_total, -OLD.attendees_women, -OLD.attendees_youth);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM activity_add(2::smallint, NEW.h3_cell, NEW.occurred_at, NEW.kind, markaz_sensitive_engagement(NEW.kind),
                         NEW.station_id, 1, NEW.attendees_total, NEW.attendees_women, NEW.attendees_youth);
  END IF;
  RETURN NULL;
END $$;
