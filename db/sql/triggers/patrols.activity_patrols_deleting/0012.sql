CREATE TRIGGER activity_patrols_deleting BEFORE DELETE ON patrols
  FOR EACH ROW EXECUTE FUNCTION activity_patrol_deleting();
