CREATE TRIGGER activity_engagements_moved
  AFTER UPDATE OF h3_cell, occurred_at, kind, station_id, attendees_total, attendees_women, attendees_youth
  ON engagements FOR EACH ROW
  WHEN ((OLD.h3_cell, OLD.occurred_at, OLD.kind, OLD.station_id, OLD.attendees_total, OLD.attendees_women,
         OLD.attendees_youth) IS DISTINCT FROM (NEW.h3_cell, NEW.occurred_at, NEW.kind, NEW.station_id,
         NEW.attendees_total, NEW.attendees_women, NEW.attendees_youth))
  EXECUTE FUNCTION activity_engagement_row();
