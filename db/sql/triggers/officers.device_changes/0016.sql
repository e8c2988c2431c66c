CREATE TRIGGER device_changes AFTER INSERT OR UPDATE OR DELETE ON officers FOR EACH ROW EXECUTE FUNCTION device_changes_log('station_id', 'role', 'governorates', 'active');
