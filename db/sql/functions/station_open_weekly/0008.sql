-- A station's open minutes of the week: slot 0 the station, slot k the k-th service of the slots array
-- (the migration's SLOTS, in order: tests/test_open_weekly.py holds them equal).
CREATE OR REPLACE FUNCTION station_open_weekly(p_hours jsonb, p_always_open boolean, p_services text[])
RETURNS int4multirange LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  slots CONSTANT text[] := ARRAY['COMMUNITY_POLICING', 'FAMILY_AND_CHILD_PROTECTION', 'JUVENILE_POLICE', 'WOMEN_OFFICERS_DESK', 'CRIME_REPORTING', 'TRAFFIC', 'CIVIL_DOCUMENTS'];
  general int4multirange;
  own int4multirange;
  result int4multirange;
BEGIN
  general := CASE WHEN p_always_open THEN int4multirange(int4range(0, 10080))
                  ELSE station_periods(p_hours, NULL) END;
  result := general;
  FOR k IN 1 .. array_length(slots, 1) LOOP
    CONTINUE WHEN p_services IS NULL OR NOT (slots[k] = ANY(p_services));
    own := CASE WHEN jsonb_path_exists(p_hours, '$[*] ? (@.service == $s)', jsonb_build_object('s', slots[k]))
                THEN station_periods(p_hours, slots[k]) ELSE general END;
    result := result + coalesce((SELECT range_agg(int4range(lower(r) + k * 10080, upper(r) + k * 10080))
                                 FROM unnest(own) AS r), '{}'::int4multirange);
  END LOOP;
  RETURN result;
END $$;
