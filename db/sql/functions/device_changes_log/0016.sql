-- One row of the working set's change log per written row of a table phones keep (migration 0016).
-- TG_ARGV names the columns that decide who holds the row (its scope keys); `before` keeps their values
-- before the change (null for an insert), `stations` and `officers` the stations and officers the row
-- named before or after it, for finding the changes of one officer's set. Nothing else of the row is
-- copied: the log holds no description, no person, no place.
CREATE OR REPLACE FUNCTION device_changes_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_row jsonb;
  new_row jsonb;
  keys jsonb;
  station_keys text[] := ARRAY['station_id'];
  officer_keys text[] := ARRAY['owner_id', 'assigned_officer_ids', 'officer_ids'];
  named_stations bigint[] := '{}';
  named_officers bigint[] := '{}';
  r jsonb;
  k text;
BEGIN
  IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
  IF TG_OP = 'UPDATE' AND old_row = new_row THEN RETURN NULL; END IF;
  IF old_row IS NOT NULL THEN
    SELECT jsonb_object_agg(a, old_row -> a) INTO keys FROM unnest(TG_ARGV) a;
  END IF;
  FOREACH r IN ARRAY array_remove(ARRAY[old_row, new_row], NULL) LOOP
    FOREACH k IN ARRAY station_keys LOOP
      IF jsonb_typeof(r -> k) = 'number' THEN named_stations := named_stations || (r ->> k)::bigint; END IF;
    END LOOP;
    FOREACH k IN ARRAY officer_keys LOOP
      IF jsonb_typeof(r -> k) = 'number' THEN
        named_officers := named_officers || (r ->> k)::bigint;
      ELSIF jsonb_typeof(r -> k) = 'array' THEN
        named_officers := named_officers || ARRAY(SELECT jsonb_array_elements_text(r -> k)::bigint);
      END IF;
    END LOOP;
  END LOOP;
  IF TG_TABLE_NAME = 'officers' THEN
    named_officers := named_officers || (coalesce(new_row, old_row) ->> 'id')::bigint;
  END IF;
  INSERT INTO device_changes (kind, entity_id, before, stations, officers)
  VALUES (TG_TABLE_NAME, (coalesce(new_row, old_row) ->> 'id')::bigint, keys, named_stations, named_officers);
  PERFORM device_changes_mark();
  RETURN NULL;
END $$;
