-- Which records the disclosure rule protects (resolvers/disclosure.py holds the same lists; a test
-- compares them). Immutable: generated columns and index expressions use them.
CREATE OR REPLACE FUNCTION markaz_sensitive_incident(p_category text, p_marked boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(p_marked, false) OR p_category IN ('DOMESTIC_VIOLENCE', 'CHILD_PROTECTION', 'JUVENILE')
$$;
