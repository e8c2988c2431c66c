CREATE TRIGGER activity_feed_corrected AFTER UPDATE OF category, sensitive, latitude, longitude ON incidents
  FOR EACH ROW
  WHEN ((OLD.category, OLD.sensitive, OLD.latitude, OLD.longitude)
        IS DISTINCT FROM (NEW.category, NEW.sensitive, NEW.latitude, NEW.longitude))
  EXECUTE FUNCTION activity_feed_incident_corrected();
