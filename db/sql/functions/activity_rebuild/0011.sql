-- 0011: incidents and engagements are folded with the sensitivity the row triggers give them.
-- Every rollup recomputed from the records: for the migration of existing data, and for bulk loads that
-- bypass the triggers (bench/activity.py copies a million rows with them disabled, then calls this).
CREATE OR REPLACE FUNCTION activity_rebuild() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE activity_rollups, activity_cells;
  PERFORM activity_fold(1::smallint, array_agg(h3_cell), array_agg(occurred_at), array_agg(category),
             array_agg(markaz_sensitive_incident(category, sensitive)), array_agg(station_id), array_agg(1::bigint), array_agg(0::float8),
             array_agg(0::float8), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
      FROM incidents HAVING count(*) > 0;
  PERFORM activity_fold(2::smallint, array_agg(h3_cell), array_agg(occurred_at), array_agg(kind),
             array_agg(markaz_sensitive_engagement(kind)), array_agg(station_id), array_agg(1::bigint), array_agg(0::float8),
             array_agg(0::float8), array_agg(attendees_total::bigint), array_agg(attendees_women::bigint),
             array_agg(attendees_youth::bigint))
      FROM engagements HAVING count(*) > 0;
  PERFORM activity_fold(3::smallint, array_agg(h3_cell), array_agg(recorded_at), array_agg(''::text),
             array_agg(false), array_agg(station_id), array_agg(0::bigint), array_agg(minutes),
             array_agg(meters), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
      FROM (
        SELECT s.h3_cell, s.recorded_at, p.station_id,
               extract(epoch FROM s.next_at - s.recorded_at) / 60 AS minutes,
               activity_metres(s.latitude, s.longitude, s.next_lat, s.next_lon) AS meters
        FROM (SELECT f.*, lead(recorded_at) OVER w AS next_at, lead(latitude) OVER w AS next_lat,
                     lead(longitude) OVER w AS next_lon
              FROM patrol_fixes f WINDOW w AS (PARTITION BY patrol_id ORDER BY recorded_at)) s
        JOIN patrols p ON p.id = s.patrol_id
        WHERE s.next_at IS NOT NULL AND s.next_at - s.recorded_at <= interval '15 minutes'
      ) d HAVING count(*) > 0;
END $fn$;
