CREATE TRIGGER device_changes_deleted AFTER DELETE ON officers REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION device_changes_officers();
