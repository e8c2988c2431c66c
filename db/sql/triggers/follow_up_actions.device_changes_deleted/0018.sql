CREATE TRIGGER device_changes_deleted AFTER DELETE ON follow_up_actions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION device_changes_follow_up_actions();
