-- The live feed (migration 0004): this transaction wrote events; its position is given at commit.
CREATE OR REPLACE FUNCTION activity_feed_mark() RETURNS void LANGUAGE sql AS $$
  INSERT INTO activity_commits (xid) VALUES ((pg_current_xact_id()::text)::bigint) ON CONFLICT (xid) DO NOTHING
$$;
