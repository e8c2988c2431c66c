-- Great-circle metres between two points (haversine on the mean radius): within 0.5% of the geodesic,
-- plenty for kilometres patrolled per cell.
CREATE OR REPLACE FUNCTION activity_metres(lat1 float8, lon1 float8, lat2 float8, lon2 float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT 2 * 6371008.8 * asin(sqrt(power(sin(radians(lat2 - lat1) / 2), 2)
         + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)))
$$;
