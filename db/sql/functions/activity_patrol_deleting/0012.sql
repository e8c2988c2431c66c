-- A patrol's fixes go before it does: folded by the fixes' delete trigger while the patrol (its station)
-- can still be read; the foreign key's cascade, which runs after the patrol row is gone, finds none left.
CREATE OR REPLACE FUNCTION activity_patrol_deleting() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM patrol_fixes WHERE patrol_id = OLD.id;
  RETURN OLD;
END $fn$;
