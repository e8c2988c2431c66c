CREATE TRIGGER device_changes AFTER INSERT OR UPDATE OR DELETE ON patrols FOR EACH ROW EXECUTE FUNCTION device_changes_log('officer_ids', 'status', 'station_id');
