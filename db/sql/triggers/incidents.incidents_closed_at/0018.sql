CREATE TRIGGER incidents_closed_at BEFORE INSERT OR UPDATE OF status, resolved_at ON incidents FOR EACH ROW EXECUTE FUNCTION incidents_closed_at();
