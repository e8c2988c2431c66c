-- Patrol time and distance, for the statement triggers on patrol_fixes: the stretches of the kept fixes
-- after the statement minus those before it. Only the stretches from the last kept fix before the
-- earliest changed fix of each patrol can differ, so only that part of each track is read (by the
-- primary key), before and after.
CREATE OR REPLACE FUNCTION activity_fixes_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM activity_fold(3::smallint, array_agg(d.h3_cell), array_agg(d.recorded_at), array_agg(''::text),
                       array_agg(false), array_agg(d.station_id), array_agg(0::bigint), array_agg(d.minutes),
                       array_agg(d.meters), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
  FROM (
    WITH first_changed AS (
      SELECT c.patrol_id, min(c.recorded_at) AS at
      FROM (SELECT a.patrol_id, a.recorded_at FROM new_rows a UNION ALL
            SELECT r.patrol_id, r.recorded_at FROM (SELECT * FROM patrol_fixes WHERE false) r) c
      GROUP BY c.patrol_id
    ), window_start AS MATERIALIZED (  -- materialized: each track is then read from it by the primary key
      SELECT c.patrol_id, coalesce((SELECT max(f.recorded_at) FROM patrol_fixes f
                                    WHERE f.patrol_id = c.patrol_id AND f.recorded_at < c.at
                                      AND f.step_m IS NOT NULL), c.at) AS at
      FROM first_changed c
    ), track AS (  -- the kept fixes after the statement (in_after) and before it (in_before), from there
      SELECT f.patrol_id, f.recorded_at, f.h3_cell, f.step_m, true AS in_after,
             NOT EXISTS (SELECT 1 FROM new_rows a WHERE a.patrol_id = f.patrol_id AND a.recorded_at = f.recorded_at)
               AS in_before
      FROM window_start w
      CROSS JOIN LATERAL (SELECT * FROM patrol_fixes x WHERE x.patrol_id = w.patrol_id AND x.recorded_at >= w.at
                          AND x.step_m IS NOT NULL OFFSET 0) f
      UNION ALL
      SELECT r.patrol_id, r.recorded_at, r.h3_cell, r.step_m, false, true
      FROM (SELECT * FROM patrol_fixes WHERE false) r WHERE r.step_m IS NOT NULL
    ), stretches AS (
      SELECT t.*, CASE WHEN in_after THEN lead(recorded_at) OVER a END AS next_after,
             CASE WHEN in_after THEN lead(step_m) OVER a END AS meters_after,
             CASE WHEN in_before THEN lead(recorded_at) OVER b END AS next_before,
             CASE WHEN in_before THEN lead(step_m) OVER b END AS meters_before
      FROM track t
      WINDOW a AS (PARTITION BY patrol_id, in_after ORDER BY recorded_at),
             b AS (PARTITION BY patrol_id, in_before ORDER BY recorded_at)
    )
    SELECT s.h3_cell, s.recorded_at, p.station_id,
           activity_stretch_minutes(s.recorded_at, s.next_after)
             - activity_stretch_minutes(s.recorded_at, s.next_before) AS minutes,
           coalesce(s.meters_after, 0) - coalesce(s.meters_before, 0) AS meters
    FROM stretches s JOIN patrols p ON p.id = s.patrol_id
  ) d
  WHERE d.minutes <> 0 OR d.meters <> 0
  HAVING count(*) > 0;
  RETURN NULL;
END $fn$;
