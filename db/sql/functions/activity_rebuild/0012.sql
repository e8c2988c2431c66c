-- 0012: patrols are counted from the kept fixes and their steps, as the patrol's own distance.
-- Every rollup recomputed from the records: for migrations of existing data, and for bulk loads that
-- bypass the triggers (bench/activity.py copies a million rows with them disabled, then calls this).
CREATE OR REPLACE FUNCTION activity_rebuild() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE activity_rollups, activity_cells;
  PERFORM activity_fold(1::smallint, array_agg(h3_cell), array_agg(occurred_at), array_agg(category),
             array_agg(markaz_sensitive_incident(category, sensitive)), array_agg(station_id), array_agg(1::bigint),
             array_agg(0::float8),
             array_agg(0::float8), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
      FROM incidents HAVING count(*) > 0;
  PERFORM activity_fold(2::smallint, array_agg(h3_cell), array_agg(occurred_at), array_agg(kind),
             array_agg(markaz_sensitive_engagement(kind)), array_agg(station_id), array_agg(1::bigint),
             array_agg(0::float8),
             array_agg(0::float8), array_agg(attendees_total::bigint), array_agg(attendees_women::bigint),
             array_agg(attendees_youth::bigint))
      FROM engagements HAVING count(*) > 0;
  -- Patrols: each kept fix and the next kept fix of its patrol.
  PERFORM activity_fold(3::smallint, array_agg(h3_cell), array_agg(recorded_at), array_agg(''::text),
             array_agg(false), array_agg(station_id), array_agg(0::bigint), array_agg(minutes),
             array_agg(meters), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
      FROM (
        SELECT s.h3_cell, s.recorded_at, p.station_id, activity_stretch_minutes(s.recorded_at, s.next_at) AS minutes,
               s.next_m AS meters
        FROM (SELECT f.patrol_id, f.recorded_at, f.h3_cell, lead(f.recorded_at) OVER w AS next_at,
                     lead(f.step_m) OVER w AS next_m
              FROM patrol_fixes f WHERE f.step_m IS NOT NULL
              WINDOW w AS (PARTITION BY f.patrol_id ORDER BY f.recorded_at)) s
        JOIN patrols p ON p.id = s.patrol_id
        WHERE s.next_at IS NOT NULL
      ) d
      WHERE d.minutes <> 0 OR d.meters <> 0 HAVING count(*) > 0;
END $fn$;
