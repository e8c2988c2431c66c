CREATE TRIGGER activity_fixes_inserted AFTER INSERT ON patrol_fixes
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_fixes_insert();
