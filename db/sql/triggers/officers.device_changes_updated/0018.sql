CREATE TRIGGER device_changes_updated AFTER UPDATE ON officers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION device_changes_officers();
