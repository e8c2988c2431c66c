-- The working set's change log (migration 0018) for follow_up_actions: one row per row a statement inserted, changed
-- or deleted, with its scope keys before the change (owner_id, status; nothing else of the row) and the
-- stations and officers it named. Statement-level, over the transition tables: bulk writes log set-wise.
CREATE OR REPLACE FUNCTION device_changes_follow_up_actions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'follow_up_actions', n.id, NULL, '{}'::bigint[], array_remove(ARRAY[n.owner_id], NULL) FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'follow_up_actions', o.id, jsonb_build_object('owner_id', o.owner_id, 'status', o.status), '{}'::bigint[], array_remove(ARRAY[o.owner_id], NULL) FROM old_rows o;
  ELSE
    INSERT INTO device_changes (kind, entity_id, before, stations, officers)
    SELECT 'follow_up_actions', o.id, jsonb_build_object('owner_id', o.owner_id, 'status', o.status), '{}'::bigint[], array_remove(ARRAY[o.owner_id], NULL) || array_remove(ARRAY[n.owner_id], NULL)
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o IS DISTINCT FROM n;
  END IF;
  IF FOUND THEN PERFORM device_changes_mark(); END IF;
  RETURN NULL;
END $$;
