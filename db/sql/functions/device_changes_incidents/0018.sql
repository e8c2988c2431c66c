-- The working set's change log (migration 0018) for incidents: one row per row a statement inserted, changed
-- or deleted, with its scope keys before the change (station_id, status, closed_at, assigned_officer_ids; nothing else of the row) and the
-- stations and officers it named. Statement-level, over the transition tables: bulk writes log set-wise.
CREATE OR REPLACE FUNCTION device_changes_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'incidents', n.id, NULL, ARRAY[n.station_id], n.assigned_officer_ids FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'incidents', o.id, jsonb_build_object('station_id', o.station_id, 'status', o.status, 'closed_at', o.closed_at, 'assigned_officer_ids', o.assigned_officer_ids), ARRAY[o.station_id], o.assigned_officer_ids FROM old_rows o;
  ELSE
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'incidents', o.id, jsonb_build_object('station_id', o.station_id, 'status', o.status, 'closed_at', o.closed_at, 'assigned_officer_ids', o.assigned_officer_ids), ARRAY[o.station_id] || ARRAY[n.station_id], o.assigned_officer_ids || n.assigned_officer_ids
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o IS DISTINCT FROM n;
  END IF;
  IF FOUND THEN PERFORM device_changes_mark(); END IF;
  RETURN NULL;
END $$;
