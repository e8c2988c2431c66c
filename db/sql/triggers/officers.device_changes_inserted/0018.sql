CREATE TRIGGER device_changes_inserted AFTER INSERT ON officers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION device_changes_officers();
