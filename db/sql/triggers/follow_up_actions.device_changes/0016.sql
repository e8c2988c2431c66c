CREATE TRIGGER device_changes AFTER INSERT OR UPDATE OR DELETE ON follow_up_actions FOR EACH ROW EXECUTE FUNCTION device_changes_log('owner_id', 'status');
