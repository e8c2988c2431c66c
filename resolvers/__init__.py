"""Logic: permission checks, domain rules and the shaping of answers, between the schema and the database."""
