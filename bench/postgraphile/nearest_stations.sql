-- PostGraphile's side of bench/nearest.py: the citizens' question ("the N nearest active stations offering
-- these services, open now") as one SQL function over Markaz's own `stations` and `station_closures`,
-- which PostGraphile exposes as the root field `nearestStations`. bench/nearest.py runs this file in its
-- benchmark database after `markaz seed`; it is no part of Markaz's migrations and touches nothing of
-- Markaz's but reading its tables and calling `markaz_ecef`.
--
-- The same work as Markaz (db/stations.py `nearest_query`, resolvers/stations.py `nearest`):
-- - the k-nearest walk of the same partial GiST index on the earth-centred point (the one of the first
--   service asked for, in slot order, named as a constant so the index applies in a cached plan),
-- - the same weekly-hours filter on `open_weekly` (one int4multirange, slot by slot) during the walk,
-- - closures in force (the station's own, or one naming a service asked for) excluding the station,
--   here in the same walk rather than in Python afterwards,
-- - `nextChangeAt` of the station itself, from its weekly hours (slot 0) and its own closures, as
--   resolvers/hours.py `next_change` computes it,
-- - the name in the language asked for, with Markaz's fallback (Arabic, English, Kurdish), and the
--   station's id as Markaz's global id (base64 of "Station:<id>").
-- What it does differently, or not at all:
-- - distances: Markaz ranks by the WGS-84 geodesic (pyproj) and re-sorts each batch; this ranks by the
--   chord (the order the index walks) and reports it as an arc, 2R asin(chord / 2R), which agrees with
--   the geodesic to well under a centimetre at the distances of a nearby station (bench/nearest.py
--   checks the answers agree, distances to 5 cm);
-- - it answers only openNow: true with one or more services (the benchmark's question; anything else is
--   refused with an error), at the transaction's now(); there is no `at` or `governorate` argument;
-- - time zones: weekly hours are read in each station's zone as Markaz does, but `nextChangeAt` ignores
--   UTC-offset changes (daylight saving) between now and the change, where resolvers/hours.py follows
--   them. Iraq has kept one offset since 2008, and every demo station is in Asia/Baghdad.

-- `pgbench` holds what PostGraphile exposes (the types and the function), `pgbench_private` the helpers.
DROP SCHEMA IF EXISTS pgbench, pgbench_private CASCADE;
CREATE SCHEMA pgbench;
CREATE SCHEMA pgbench_private;

-- In slot order (db/stations.py SERVICE_SLOTS, migration 0008's SLOTS): a service's slot is its place here.
CREATE TYPE pgbench.station_service AS ENUM ('COMMUNITY_POLICING', 'FAMILY_AND_CHILD_PROTECTION',
  'JUVENILE_POLICE', 'WOMEN_OFFICERS_DESK', 'CRIME_REPORTING', 'TRAFFIC', 'CIVIL_DOCUMENTS');

CREATE TYPE pgbench.geo_point AS (latitude double precision, longitude double precision);

CREATE TYPE pgbench.station AS (
  id text,
  name text,
  phone text,
  address text,
  is_model_station boolean,
  always_open boolean,
  services pgbench.station_service[],
  location pgbench.geo_point,
  next_change_at timestamptz
);

CREATE TYPE pgbench.nearby_station AS (
  distance_meters double precision,
  is_open boolean,
  station pgbench.station
);

-- Minutes since Monday 00:00 of the wall clock of `zone` at `at` (db/stations.py `week_minute`).
CREATE FUNCTION pgbench_private.week_minute(at timestamptz, zone text) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT ((extract(isodow FROM at AT TIME ZONE zone)::int - 1) * 1440
          + extract(hour FROM at AT TIME ZONE zone)::int * 60
          + extract(minute FROM at AT TIME ZONE zone)::int)
$$;

-- The points of `open_weekly` that must all be in it for the slots to be open at `at` in `zone`.
CREATE FUNCTION pgbench_private.slot_minutes(slots integer[], at timestamptz, zone text) RETURNS integer[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT ARRAY(SELECT slot * 10080 + pgbench_private.week_minute(at, zone) FROM unnest(slots) AS slot)
$$;

-- The first instant after `at` at which the weekly hours `hours` (one week of minutes, slot 0 of
-- `open_weekly`) flip, read in `zone`; NULL when they never do (never open, or open all week). Open, it
-- is the first minute of the week after now that is not in them, or else the first one of next week;
-- closed, the first one that is. Expressions on the multirange alone, no query: PL/pgSQL evaluates
-- them without the executor.
CREATE FUNCTION pgbench_private.weekly_flip(hours int4multirange, zone text, at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN NOT isempty(hours) AND hours <> '{[0,10080)}'::int4multirange THEN
    (date_trunc('week', at AT TIME ZONE zone) + make_interval(mins =>
      CASE WHEN hours @> pgbench_private.week_minute(at, zone) THEN
        coalesce(lower(('{[0,10080)}'::int4multirange - hours)
                       * int4multirange(int4range(pgbench_private.week_minute(at, zone), 10080))),
                 10080 + lower('{[0,10080)}'::int4multirange - hours))
      ELSE
        coalesce(lower(hours * int4multirange(int4range(pgbench_private.week_minute(at, zone), 10080))),
                 10080 + lower(hours))
      END)) AT TIME ZONE zone
  END
$$;

-- resolvers/hours.py `next_change` for the station itself: its weekly hours `hours` and `closed`, its
-- own closures (services NULL) not over by `at`, merged (a multirange merges overlapping and
-- back-to-back closures, as hours.py does).
CREATE FUNCTION pgbench_private.next_change(hours int4multirange, zone text, closed tstzmultirange, at timestamptz)
RETURNS timestamptz LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  t timestamptz := at;
  flip timestamptz;
  upcoming timestamptz;
BEGIN
  IF isempty(hours) THEN
    RETURN NULL;  -- never open, whatever the closures say
  ELSIF isempty(closed) THEN
    RETURN pgbench_private.weekly_flip(hours, zone, t);  -- nearly every station
  ELSIF hours @> pgbench_private.week_minute(t, zone) AND NOT closed @> t THEN
    -- open: until the hours close it or a closure begins, whichever comes first
    RETURN least(pgbench_private.weekly_flip(hours, zone, t), lower(closed * tstzmultirange(tstzrange(t, NULL, '()'))));
  END IF;
  LOOP  -- closed, by a closure or by the hours: the first instant both let it open
    IF closed @> t THEN
      t := lower(('{(,)}'::tstzmultirange - closed) * tstzmultirange(tstzrange(t, NULL)));  -- the closure's end
      IF hours @> pgbench_private.week_minute(t, zone) THEN
        RETURN t;
      END IF;
    END IF;
    flip := pgbench_private.weekly_flip(hours, zone, t);
    upcoming := lower(closed * tstzmultirange(tstzrange(t, NULL, '()')));  -- the next closure's start
    IF upcoming IS NULL OR flip < upcoming THEN
      RETURN flip;
    END IF;
    t := upcoming;
  END LOOP;
END $$;

-- One branch per service, each naming its service as a constant (as db/stations.py does): PostgreSQL
-- proves the partial index `ix_stations_ecef_<slot>` usable only for a constant, and PL/pgSQL keeps
-- each branch's plan. The branches are written out from one template here, at creation.
DO $create$
DECLARE
  walk CONSTANT text := $walk$
    WHEN %1$L THEN
      RETURN QUERY
      SELECT c.arc,
             true,
             ROW(encode(convert_to('Station:' || c.id, 'UTF8'), 'base64'),
                 coalesce(nullif(CASE lang WHEN 'ar' THEN c.name_ar WHEN 'ku' THEN c.name_ku
                                           WHEN 'en' THEN c.name_en END, ''),
                          nullif(c.name_ar, ''), nullif(c.name_en, ''), nullif(c.name_ku, ''), ''),
                 c.phone, c.address, c.is_model_station, c.always_open,
                 c.services::pgbench.station_service[],
                 ROW(c.latitude, c.longitude)::pgbench.geo_point,
                 pgbench_private.next_change(
                   c.open_weekly * '{[0,10080)}'::int4multirange, c.timezone,
                   (SELECT coalesce(range_agg(tstzrange(k.starts_at, k.ends_at)), '{}'::tstzmultirange)
                      FROM public.station_closures AS k
                     WHERE k.station_id = c.id AND k.ends_at > instant AND k.services IS NULL),
                   instant))::pgbench.station
      FROM (
        SELECT s.*, 2 * 6371008.8 * asin(least((public.markaz_ecef(s.latitude, s.longitude) <-> here)
                                               / (2 * 6371008.8), 1.0)) AS arc
        FROM public.stations AS s
        WHERE s.active
          AND s.services @> ARRAY[%1$L]::text[]
          -- The other tests in one coalesce (never NULL, so the same answer), for the planner: it guesses
          -- half the rows for a coalesce and walks the index, where for the tests themselves it guesses
          -- so few that it would sort every station offering the service instead (db/stations.py).
          AND coalesce(s.services @> wanted
                       AND s.open_weekly @> ALL (CASE WHEN s.timezone = 'Asia/Baghdad' THEN baghdad_minutes
                                                      ELSE pgbench_private.slot_minutes(slots, instant, s.timezone)
                                                 END)
                       AND (within_meters IS NULL
                            OR 2 * 6371008.8 * asin(least((public.markaz_ecef(s.latitude, s.longitude) <-> here)
                                                          / (2 * 6371008.8), 1.0)) <= within_meters)
                       AND NOT EXISTS (
                             SELECT FROM public.station_closures AS k
                             WHERE k.station_id = s.id AND k.ends_at > instant AND k.starts_at <= instant
                               AND (k.services IS NULL OR k.services && wanted)
                             OFFSET 0),  -- a probe of the closures' index per station, not a hash of all
                       false)
        ORDER BY public.markaz_ecef(s.latitude, s.longitude) <-> here
        LIMIT first
      ) AS c
      ORDER BY c.arc;
  $walk$;
  branches text := '';
  service text;
BEGIN
  FOREACH service IN ARRAY enum_range(NULL::pgbench.station_service)::text[] LOOP
    branches := branches || format(walk, service);
  END LOOP;
  EXECUTE format($function$
    CREATE FUNCTION pgbench.nearest_stations(
      near pgbench.geo_point,
      first integer DEFAULT 5,
      open_now boolean DEFAULT true,
      services pgbench.station_service[] DEFAULT NULL,
      within_meters double precision DEFAULT NULL,
      lang text DEFAULT 'ar'
    ) RETURNS SETOF pgbench.nearby_station LANGUAGE plpgsql STABLE AS $body$
    DECLARE
      instant CONSTANT timestamptz := now();
      here CONSTANT public.cube := public.markaz_ecef(near.latitude, near.longitude);
      wanted CONSTANT text[] := array_remove(services::text[], NULL);
      every_service CONSTANT pgbench.station_service[] := enum_range(NULL::pgbench.station_service);
      baghdad_minute CONSTANT integer := pgbench_private.week_minute(instant, 'Asia/Baghdad');
      service pgbench.station_service;
      slots integer[] := '{}';  -- the slots of open_weekly of the services asked (slot = place in the enum)
      baghdad_minutes integer[] := '{}';  -- where open_weekly must hold each slot's minute, in Iraq's zone
      first_slot integer;  -- the first in slot order: its k-nearest index is walked
    BEGIN
      IF near.latitude IS NULL OR near.longitude IS NULL
         OR near.latitude NOT BETWEEN -90 AND 90 OR near.longitude NOT BETWEEN -180 AND 180 THEN
        RAISE EXCEPTION 'near: latitude must be within [-90, 90] and longitude within [-180, 180]';
      END IF;
      IF first IS NULL OR first NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'first must be between 1 and 100';
      END IF;
      IF within_meters < 0 THEN
        RAISE EXCEPTION 'withinMeters must not be negative';
      END IF;
      FOREACH service IN ARRAY coalesce(services, '{}') LOOP
        CONTINUE WHEN service IS NULL;
        slots := slots || array_position(every_service, service);
        baghdad_minutes := baghdad_minutes || (array_position(every_service, service) * 10080 + baghdad_minute);
        first_slot := least(first_slot, array_position(every_service, service));
      END LOOP;
      IF open_now IS NOT TRUE OR first_slot IS NULL THEN
        RAISE EXCEPTION 'this benchmark function answers only openNow: true with one or more services';
      END IF;
      CASE every_service[first_slot]::text
        %s
      END CASE;
    END $body$
  $function$, branches);
END $create$;

COMMENT ON FUNCTION pgbench.nearest_stations IS
  E'@behavior +list -connection\nThe `first` nearest active stations offering all of `services`, open now.';
