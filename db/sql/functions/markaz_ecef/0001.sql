-- Earth-centred, earth-fixed coordinates on the WGS-84 ellipsoid, in metres. The straight line between
-- two such points is never longer than the geodesic between them, so ordering by it (with a GiST index
-- on `cube`) and stopping once the k-th geodesic distance is within the next chord is exact.
-- The body is one expression with `cube` named by its schema ({cube}, filled in by db/definitions.py):
-- PostgreSQL 17+ builds indexes with a restricted search path, and a function with its own SET
-- search_path could not be inlined into queries.
CREATE OR REPLACE FUNCTION markaz_ecef(lat double precision, lon double precision) RETURNS {cube}.cube
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT {cube}.cube(ARRAY[
    6378137.0 / sqrt(1 - 0.00669437999014 * sin(radians(lat)) ^ 2) * cos(radians(lat)) * cos(radians(lon)),
    6378137.0 / sqrt(1 - 0.00669437999014 * sin(radians(lat)) ^ 2) * cos(radians(lat)) * sin(radians(lon)),
    6378137.0 / sqrt(1 - 0.00669437999014 * sin(radians(lat)) ^ 2) * (1 - 0.00669437999014) * sin(radians(lat))])
$$;
