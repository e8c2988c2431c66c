CREATE TRIGGER device_changes AFTER INSERT OR UPDATE OR DELETE ON incidents FOR EACH ROW EXECUTE FUNCTION device_changes_log('station_id', 'status', 'closed_at', 'assigned_officer_ids');
