-- Keeps stations.open_weekly computed from hours, always_open and services, whoever writes them.
CREATE OR REPLACE FUNCTION stations_open_weekly() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.open_weekly := station_open_weekly(NEW.hours, NEW.always_open, NEW.services);
  RETURN NEW;
END $$;
