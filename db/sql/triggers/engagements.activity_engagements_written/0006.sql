CREATE TRIGGER activity_engagements_written AFTER INSERT OR DELETE ON engagements
  FOR EACH ROW EXECUTE FUNCTION activity_engagement_row();
