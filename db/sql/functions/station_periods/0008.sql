-- The weekly periods of one service (NULL: the station itself) as minutes of the week, as
-- resolvers/hours.py reads them: a period closing at or before it opens runs past midnight ("00:00"-"00:00"
-- is the whole day), and a Sunday period past midnight continues on Monday.
CREATE OR REPLACE FUNCTION station_periods(p_hours jsonb, p_service text) RETURNS int4multirange
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH spans AS (
    SELECT (p->>'weekday')::int * 1440 + o AS s,
           (p->>'weekday')::int * 1440 + CASE WHEN c <= o THEN c + 1440 ELSE c END AS e
    FROM jsonb_array_elements(p_hours) AS p,
         LATERAL (SELECT split_part(p->>'opens', ':', 1)::int * 60 + split_part(p->>'opens', ':', 2)::int AS o,
                         split_part(p->>'closes', ':', 1)::int * 60 + split_part(p->>'closes', ':', 2)::int AS c) t
    WHERE p->>'service' IS NOT DISTINCT FROM p_service
  )
  SELECT coalesce(range_agg(r), '{}'::int4multirange) FROM (
    SELECT int4range(s, least(e, 10080)) AS r FROM spans
    UNION ALL
    SELECT int4range(0, e - 10080) FROM spans WHERE e > 10080
  ) pieces
$$;
