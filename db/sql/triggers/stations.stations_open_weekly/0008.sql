CREATE TRIGGER stations_open_weekly BEFORE INSERT OR UPDATE OF hours, always_open, services ON stations
  FOR EACH ROW EXECUTE FUNCTION stations_open_weekly();
