CREATE TRIGGER activity_incidents_written AFTER INSERT OR DELETE ON incidents
  FOR EACH ROW EXECUTE FUNCTION activity_incident_row();
