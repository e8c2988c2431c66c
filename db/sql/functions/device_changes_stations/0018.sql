-- The working set's change log (migration 0018) for stations: one row per row a statement inserted, changed
-- or deleted, with its scope keys before the change (active; nothing else of the row) and the
-- stations and officers it named. Statement-level, over the transition tables: bulk writes log set-wise.
CREATE OR REPLACE FUNCTION device_changes_stations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'stations', n.id, NULL, '{}'::bigint[], '{}'::bigint[] FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'stations', o.id, jsonb_build_object('active', o.active), '{}'::bigint[], '{}'::bigint[] FROM old_rows o;
  ELSE
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'stations', o.id, jsonb_build_object('active', o.active), '{}'::bigint[], '{}'::bigint[]
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o IS DISTINCT FROM n;
  END IF;
  IF FOUND THEN PERFORM device_changes_mark(); END IF;
  RETURN NULL;
END $$;
