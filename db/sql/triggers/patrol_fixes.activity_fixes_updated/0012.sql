CREATE TRIGGER activity_fixes_updated AFTER UPDATE ON patrol_fixes
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_fixes_update();
