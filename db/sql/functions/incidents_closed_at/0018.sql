-- When an incident was closed (RESOLVED or CLOSED): set as it leaves the open statuses, kept from
-- RESOLVED to CLOSED, cleared when it is reopened. Phones keep a closed incident for a while after it.
CREATE OR REPLACE FUNCTION incidents_closed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IN ('RESOLVED', 'CLOSED') THEN
    IF TG_OP = 'INSERT' OR OLD.status NOT IN ('RESOLVED', 'CLOSED') OR OLD.closed_at IS NULL THEN
      NEW.closed_at := coalesce(NEW.resolved_at, now());
    END IF;
  ELSE
    NEW.closed_at := NULL;
  END IF;
  RETURN NEW;
END $$;
