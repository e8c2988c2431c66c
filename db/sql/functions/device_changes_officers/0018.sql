-- The working set's change log (migration 0018) for officers: one row per row a statement inserted, changed
-- or deleted, with its scope keys before the change (station_id, role, governorates, active; nothing else of the row) and the
-- stations and officers it named. Statement-level, over the transition tables: bulk writes log set-wise.
CREATE OR REPLACE FUNCTION device_changes_officers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'officers', n.id, NULL, array_remove(ARRAY[n.station_id], NULL), ARRAY[n.id] FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'officers', o.id, jsonb_build_object('station_id', o.station_id, 'role', o.role, 'governorates', o.governorates, 'active', o.active), array_remove(ARRAY[o.station_id], NULL), ARRAY[o.id] FROM old_rows o;
  ELSE
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'officers', o.id, jsonb_build_object('station_id', o.station_id, 'role', o.role, 'governorates', o.governorates, 'active', o.active), array_remove(ARRAY[o.station_id], NULL) || array_remove(ARRAY[n.station_id], NULL), ARRAY[o.id] || ARRAY[n.id]
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o IS DISTINCT FROM n;
  END IF;
  IF FOUND THEN PERFORM device_changes_mark(); END IF;
  RETURN NULL;
END $$;
