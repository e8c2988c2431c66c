CREATE TRIGGER device_changes_inserted AFTER INSERT ON patrols REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION device_changes_patrols();
