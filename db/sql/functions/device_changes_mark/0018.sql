-- The officer's working set (migration 0018): this transaction changed it; its position is given at commit.
CREATE OR REPLACE FUNCTION device_changes_mark() RETURNS void LANGUAGE sql AS $$
  INSERT INTO device_commits (xid) VALUES ((pg_current_xact_id()::text)::bigint) ON CONFLICT (xid) DO NOTHING
$$;
