-- The audit log is append-only for the application: PostgreSQL refuses to change or delete entries.
-- (Someone with the rights to drop its triggers could still do it: the hash chain detects that.)
CREATE OR REPLACE FUNCTION markaz_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
