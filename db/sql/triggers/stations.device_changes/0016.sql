CREATE TRIGGER device_changes AFTER INSERT OR UPDATE OR DELETE ON stations FOR EACH ROW EXECUTE FUNCTION device_changes_log('active');
