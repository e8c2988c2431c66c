-- The parent at resolution r (0..15) of an H3 cell index: the resolution field (bits 52-55) set to r
-- and the digits below r (3 bits each) set to 7, as H3 does. Immutable, so the planner inlines it.
CREATE OR REPLACE FUNCTION activity_h3_parent(cell bigint, r integer) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (cell & ~(15::bigint << 52) & ~((1::bigint << (3 * (15 - r))) - 1))
         | (r::bigint << 52) | ((1::bigint << (3 * (15 - r))) - 1)
$$;
