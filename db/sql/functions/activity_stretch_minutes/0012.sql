-- The patrol minutes of a stretch from one kept fix to the next (0 when there is no next one, or the gap
-- is longer than MAX_FIX_GAP minutes).
CREATE OR REPLACE FUNCTION activity_stretch_minutes(p_from timestamptz, p_to timestamptz) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_to - p_from <= interval '15 minutes' THEN extract(epoch FROM p_to - p_from)::float8 / 60
              ELSE 0 END
$$;
