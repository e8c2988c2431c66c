-- The delete trigger's twin of activity_fixes_insert (see there).
CREATE OR REPLACE FUNCTION activity_fixes_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM activity_fold(3::smallint, array_agg(d.h3_cell), array_agg(d.recorded_at), array_agg(''::text),
                       array_agg(false), array_agg(d.station_id), array_agg(0::bigint), array_agg(d.minutes),
                       array_agg(d.meters), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
  FROM (
    WITH first_changed AS (
      SELECT patrol_id, min(recorded_at) AS at FROM old_rows GROUP BY patrol_id
    ), window_start AS MATERIALIZED (  -- materialized: each track is then read from it by the primary key
      SELECT c.patrol_id, coalesce((SELECT max(f.recorded_at) FROM patrol_fixes f
                                    WHERE f.patrol_id = c.patrol_id AND f.recorded_at < c.at), c.at) AS at
      FROM first_changed c
    ), track AS (  -- the track after the statement (in_after) and before it (in_before), from window_start
      SELECT f.patrol_id, f.recorded_at, f.latitude, f.longitude, f.h3_cell, true AS in_after,
             ('DELETE' <> 'INSERT' OR NOT EXISTS (SELECT 1 FROM old_rows c WHERE c.patrol_id = f.patrol_id
                                                                          AND c.recorded_at = f.recorded_at))
               AS in_before
      FROM window_start w
      CROSS JOIN LATERAL (SELECT * FROM patrol_fixes x WHERE x.patrol_id = w.patrol_id AND x.recorded_at >= w.at
                          OFFSET 0) f
      UNION ALL
      SELECT c.patrol_id, c.recorded_at, c.latitude, c.longitude, c.h3_cell, false, true
      FROM old_rows c WHERE 'DELETE' = 'DELETE'
    ), stretches AS (
      SELECT t.*, CASE WHEN in_after THEN lead(recorded_at) OVER a END AS next_after,
             CASE WHEN in_after THEN lead(latitude) OVER a END AS lat_after,
             CASE WHEN in_after THEN lead(longitude) OVER a END AS lon_after,
             CASE WHEN in_before THEN lead(recorded_at) OVER b END AS next_before,
             CASE WHEN in_before THEN lead(latitude) OVER b END AS lat_before,
             CASE WHEN in_before THEN lead(longitude) OVER b END AS lon_before
      FROM track t
      WINDOW a AS (PARTITION BY patrol_id, in_after ORDER BY recorded_at),
             b AS (PARTITION BY patrol_id, in_before ORDER BY recorded_at)
    ), counted AS (
      SELECT s.*,
        CASE WHEN next_after - recorded_at <= interval '15 minutes'
             THEN extract(epoch FROM next_after - recorded_at)::float8 / 60 ELSE 0 END AS m_after,
        CASE WHEN next_before - recorded_at <= interval '15 minutes'
             THEN extract(epoch FROM next_before - recorded_at)::float8 / 60 ELSE 0 END AS m_before
      FROM stretches s
    )
    SELECT c.h3_cell, c.recorded_at, p.station_id,
           (CASE WHEN in_after THEN m_after ELSE 0 END) - (CASE WHEN in_before THEN m_before ELSE 0 END)
             AS minutes,
           (CASE WHEN in_after AND m_after > 0 THEN activity_metres(latitude, longitude, lat_after, lon_after)
                 ELSE 0 END)
           - (CASE WHEN in_before AND m_before > 0
                   THEN activity_metres(latitude, longitude, lat_before, lon_before) ELSE 0 END) AS meters
    FROM counted c JOIN patrols p ON p.id = c.patrol_id
  ) d
  WHERE d.minutes <> 0 OR d.meters <> 0
  HAVING count(*) > 0;
  RETURN NULL;
END $fn$;
