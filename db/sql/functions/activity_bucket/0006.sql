-- The start of the hour, day or month (Baghdad's calendar) an instant falls in.
CREATE OR REPLACE FUNCTION activity_bucket(grain "char", at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE grain
    WHEN 'h' THEN date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    WHEN 'd' THEN date_trunc('day', at AT TIME ZONE 'Asia/Baghdad') AT TIME ZONE 'Asia/Baghdad'
    ELSE date_trunc('month', at AT TIME ZONE 'Asia/Baghdad') AT TIME ZONE 'Asia/Baghdad' END
$$;
