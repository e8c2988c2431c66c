CREATE TRIGGER activity_fixes_deleted AFTER DELETE ON patrol_fixes
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_fixes_delete();
