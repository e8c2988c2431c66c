CREATE TRIGGER activity_incidents_moved AFTER UPDATE OF h3_cell, occurred_at, category, sensitive, station_id
  ON incidents FOR EACH ROW
  WHEN ((OLD.h3_cell, OLD.occurred_at, OLD.category, OLD.sensitive, OLD.station_id)
        IS DISTINCT FROM (NEW.h3_cell, NEW.occurred_at, NEW.category, NEW.sensitive, NEW.station_id))
  EXECUTE FUNCTION activity_incident_row();
