CREATE TRIGGER device_changes_inserted AFTER INSERT ON follow_up_actions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION device_changes_follow_up_actions();
