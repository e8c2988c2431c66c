"""Patrols: the rollups count the same kept fixes, and the same metres, as the patrol's own distance.

Until now the patrol_fixes triggers (0006) counted every fix, the impossible-speed jumps and the mocked
positions too, and measured a stretch by a haversine on the mean radius, while a patrol's distance
leaves out the jumps and measures by the geodesic: a summary's kilometres were not its patrols'. Now the
walk of the track (resolvers.patrols.walk_track) decides once which fixes are kept (neither
IMPOSSIBLE_SPEED nor MOCK_LOCATION) and stores with each kept fix its step, the geodesic metres from the
kept fix before it (`step_m`; NULL on a fix left out). The patrol's distance is the sum of the steps,
and the triggers fold exactly those numbers, so no distance is computed in SQL at all:

- the track is the fixes with a step; each kept fix owns the stretch to the next kept fix of its patrol,
  credited to its cell and time: minutes when the gap is at most 15 minutes (longer, the phone was off
  and the track says nothing about where they were), and the next fix's step in metres, always (the
  patrol's distance counts that step too);
- a late fix changes the step of the kept fix after it, and may move IMPOSSIBLE_SPEED: the app updates
  those stored fixes (one statement), and a third trigger, on UPDATE, folds the change as the insert
  and delete triggers do (the track read from the last kept fix before the earliest change);
- a deleted patrol takes its fixes out of the rollups: they went by ON DELETE CASCADE after the patrol
  row, so the fold found no station for them and the patrol stayed counted; now a row trigger deletes
  them first, while the patrol is still there.

Existing tracks are walked again here, by the app's own walk, so they follow the same rule: fixes get
their steps (and IMPOSSIBLE_SPEED where the walk now finds it), patrols their distance, flagged count and
flags; then every rollup is rebuilt. The previous trigger functions are kept under the names
*_before_0012 for the downgrade, which puts them back and rebuilds the rollups by the old rule (it leaves
distances and flags as walked: the old code walks a track again on its next late batch).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# A gap between two kept fixes longer than this is not counted as patrol time (as in 0006).
MAX_FIX_GAP_MINUTES = 15

_REPLACED = ("activity_fixes_insert()", "activity_fixes_delete()", "activity_rebuild()")

FUNCTIONS = r"""
-- The patrol minutes of a stretch from one kept fix to the next (0 when there is no next one, or the gap
-- is longer than MAX_FIX_GAP minutes).
CREATE FUNCTION activity_stretch_minutes(p_from timestamptz, p_to timestamptz) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_to - p_from <= interval '15 minutes' THEN extract(epoch FROM p_to - p_from)::float8 / 60
              ELSE 0 END
$$;

-- Every rollup recomputed from the records: for migrations of existing data, and for bulk loads that
-- bypass the triggers (bench/activity.py copies a million rows with them disabled, then calls this).
CREATE FUNCTION activity_rebuild() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE activity_rollups, activity_cells;
  PERFORM activity_fold(1::smallint, array_agg(h3_cell), array_agg(occurred_at), array_agg(category),
             array_agg(markaz_sensitive_incident(category, sensitive)), array_agg(station_id), array_agg(1::bigint),
             array_agg(0::float8),
             array_agg(0::float8), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
      FROM incidents HAVING count(*) > 0;
  PERFORM activity_fold(2::smallint, array_agg(h3_cell), array_agg(occurred_at), array_agg(kind),
             array_agg(markaz_sensitive_engagement(kind)), array_agg(station_id), array_agg(1::bigint),
             array_agg(0::float8),
             array_agg(0::float8), array_agg(attendees_total::bigint), array_agg(attendees_women::bigint),
             array_agg(attendees_youth::bigint))
      FROM engagements HAVING count(*) > 0;
  -- Patrols: each kept fix and the next kept fix of its patrol.
  PERFORM activity_fold(3::smallint, array_agg(h3_cell), array_agg(recorded_at), array_agg(''::text),
             array_agg(false), array_agg(station_id), array_agg(0::bigint), array_agg(minutes),
             array_agg(meters), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
      FROM (
        SELECT s.h3_cell, s.recorded_at, p.station_id, activity_stretch_minutes(s.recorded_at, s.next_at) AS minutes,
               s.next_m AS meters
        FROM (SELECT f.patrol_id, f.recorded_at, f.h3_cell, lead(f.recorded_at) OVER w AS next_at,
                     lead(f.step_m) OVER w AS next_m
              FROM patrol_fixes f WHERE f.step_m IS NOT NULL
              WINDOW w AS (PARTITION BY f.patrol_id ORDER BY f.recorded_at)) s
        JOIN patrols p ON p.id = s.patrol_id
        WHERE s.next_at IS NOT NULL
      ) d
      WHERE d.minutes <> 0 OR d.meters <> 0 HAVING count(*) > 0;
END $fn$;

-- Patrol time and distance, for the statement triggers on patrol_fixes: the stretches of the kept fixes
-- after the statement minus those before it. Only the stretches from the last kept fix before the
-- earliest changed fix of each patrol can differ, so only that part of each track is read (by the
-- primary key), before and after.
{FIXES_FUNCTIONS}
-- A patrol's fixes go before it does: folded by the fixes' delete trigger while the patrol (its station)
-- can still be read; the foreign key's cascade, which runs after the patrol row is gone, finds none left.
CREATE FUNCTION activity_patrol_deleting() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM patrol_fixes WHERE patrol_id = OLD.id;
  RETURN OLD;
END $fn$;
""".replace("interval '15 minutes'", f"interval '{MAX_FIX_GAP_MINUTES} minutes'")

# One function per event, so each is static SQL that PL/pgSQL plans once per session; they differ only
# in the rows the statement added (ADDED: the insert's or the update's new rows) and removed (REMOVED:
# the delete's or the update's old rows). A row in ADDED is not in the track before the statement.
_FIXES_QUERY = r"""
  PERFORM activity_fold(3::smallint, array_agg(d.h3_cell), array_agg(d.recorded_at), array_agg(''::text),
                       array_agg(false), array_agg(d.station_id), array_agg(0::bigint), array_agg(d.minutes),
                       array_agg(d.meters), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint))
  FROM (
    WITH first_changed AS (
      SELECT c.patrol_id, min(c.recorded_at) AS at
      FROM (SELECT a.patrol_id, a.recorded_at FROM ADDED a UNION ALL
            SELECT r.patrol_id, r.recorded_at FROM REMOVED r) c
      GROUP BY c.patrol_id
    ), window_start AS MATERIALIZED (  -- materialized: each track is then read from it by the primary key
      SELECT c.patrol_id, coalesce((SELECT max(f.recorded_at) FROM patrol_fixes f
                                    WHERE f.patrol_id = c.patrol_id AND f.recorded_at < c.at
                                      AND f.step_m IS NOT NULL), c.at) AS at
      FROM first_changed c
    ), track AS (  -- the kept fixes after the statement (in_after) and before it (in_before), from there
      SELECT f.patrol_id, f.recorded_at, f.h3_cell, f.step_m, true AS in_after,
             NOT EXISTS (SELECT 1 FROM ADDED a WHERE a.patrol_id = f.patrol_id AND a.recorded_at = f.recorded_at)
               AS in_before
      FROM window_start w
      CROSS JOIN LATERAL (SELECT * FROM patrol_fixes x WHERE x.patrol_id = w.patrol_id AND x.recorded_at >= w.at
                          AND x.step_m IS NOT NULL OFFSET 0) f
      UNION ALL
      SELECT r.patrol_id, r.recorded_at, r.h3_cell, r.step_m, false, true
      FROM REMOVED r WHERE r.step_m IS NOT NULL
    ), stretches AS (
      SELECT t.*, CASE WHEN in_after THEN lead(recorded_at) OVER a END AS next_after,
             CASE WHEN in_after THEN lead(step_m) OVER a END AS meters_after,
             CASE WHEN in_before THEN lead(recorded_at) OVER b END AS next_before,
             CASE WHEN in_before THEN lead(step_m) OVER b END AS meters_before
      FROM track t
      WINDOW a AS (PARTITION BY patrol_id, in_after ORDER BY recorded_at),
             b AS (PARTITION BY patrol_id, in_before ORDER BY recorded_at)
    )
    SELECT s.h3_cell, s.recorded_at, p.station_id,
           activity_stretch_minutes(s.recorded_at, s.next_after)
             - activity_stretch_minutes(s.recorded_at, s.next_before) AS minutes,
           coalesce(s.meters_after, 0) - coalesce(s.meters_before, 0) AS meters
    FROM stretches s JOIN patrols p ON p.id = s.patrol_id
  ) d
  WHERE d.minutes <> 0 OR d.meters <> 0
  HAVING count(*) > 0
  """
_NONE = "(SELECT * FROM patrol_fixes WHERE false)"
FUNCTIONS = FUNCTIONS.replace(
    "{FIXES_FUNCTIONS}",
    "\n".join(
        f"""CREATE FUNCTION activity_fixes_{event}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  {_FIXES_QUERY.replace("ADDED", added).replace("REMOVED", removed).strip()};
  RETURN NULL;
END $fn$;
"""
        for event, added, removed in (
            ("insert", "new_rows", _NONE),
            ("delete", _NONE, "old_rows"),
            ("update", "new_rows", "old_rows"),
        )
    ),
)

TRIGGERS = """
CREATE TRIGGER activity_fixes_inserted AFTER INSERT ON patrol_fixes
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_fixes_insert();
CREATE TRIGGER activity_fixes_deleted AFTER DELETE ON patrol_fixes
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_fixes_delete();
CREATE TRIGGER activity_fixes_updated AFTER UPDATE ON patrol_fixes
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_fixes_update();
CREATE TRIGGER activity_patrols_deleting BEFORE DELETE ON patrols
  FOR EACH ROW EXECUTE FUNCTION activity_patrol_deleting()
"""

_CHUNK = 100  # patrols walked per round trip of reads and of writes (a day's patrol has ~1,000 fixes)


def _walk_existing_tracks() -> None:
    """Every stored track walked again by the app's walk: steps (and IMPOSSIBLE_SPEED) on the fixes, and
    each patrol's distance, flagged fix count and flags. The app's own function, imported here, is the
    rule; a later change of the rule walks the tracks again in its own migration."""
    from resolvers.patrols import FLAG_IMPOSSIBLE_SPEED, TrackFix, ordered_flags, stored_changes, walk_track

    conn = op.get_bind()
    patrols = conn.execute(
        sa.text(
            "SELECT id, flags FROM patrols p WHERE EXISTS "
            "(SELECT 1 FROM patrol_fixes f WHERE f.patrol_id = p.id) ORDER BY id"
        )
    ).all()
    for start in range(0, len(patrols), _CHUNK):
        chunk = patrols[start : start + _CHUNK]
        fixes = conn.execute(
            sa.text(
                "SELECT patrol_id, recorded_at, latitude, longitude, accuracy_m, flags, step_m FROM patrol_fixes "
                "WHERE patrol_id = ANY(CAST(:ids AS bigint[])) ORDER BY patrol_id, recorded_at"
            ),
            {"ids": [p.id for p in chunk]},
        ).all()
        tracks: dict[int, list] = {p.id: [] for p in chunk}
        for fix in fixes:
            tracks[fix.patrol_id].append(fix)
        changes, patrol_rows = [], []
        for patrol in chunk:
            rows = tracks[patrol.id]
            walk = walk_track(
                [
                    TrackFix(
                        r.recorded_at,
                        r.latitude,
                        r.longitude,
                        r.accuracy_m,
                        tuple(f for f in r.flags if f != FLAG_IMPOSSIBLE_SPEED),
                    )
                    for r in rows
                ]
            )
            changes += [(patrol.id, *change) for change in stored_changes(rows, walk)]
            flags = set(patrol.flags) - {FLAG_IMPOSSIBLE_SPEED}
            if walk.impossible:
                flags.add(FLAG_IMPOSSIBLE_SPEED)
            flagged = sum(
                1 for r in rows if set(r.flags) - {FLAG_IMPOSSIBLE_SPEED} or r.recorded_at in walk.impossible
            )
            patrol_rows.append((patrol.id, walk.distance_m, flagged, ",".join(ordered_flags(flags))))
        if changes:
            conn.execute(
                sa.text(
                    "UPDATE patrol_fixes f SET flags = string_to_array(v.flags, ','), step_m = v.step_m "
                    "FROM unnest(CAST(:ids AS bigint[]), CAST(:ats AS timestamptz[]), CAST(:flags AS text[]), "
                    "CAST(:steps AS float8[])) AS v(patrol_id, recorded_at, flags, step_m) "
                    "WHERE f.patrol_id = v.patrol_id AND f.recorded_at = v.recorded_at"
                ),
                {
                    "ids": [c[0] for c in changes],
                    "ats": [c[1] for c in changes],
                    "flags": [",".join(c[2]) for c in changes],
                    "steps": [c[3] for c in changes],
                },
            )
        conn.execute(
            sa.text(
                "UPDATE patrols p SET distance_m = v.distance_m, flagged_fix_count = v.flagged, "
                "flags = string_to_array(v.flags, ',') "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:distances AS float8[]), CAST(:flagged AS integer[]), "
                "CAST(:flags AS text[])) AS v(id, distance_m, flagged, flags) WHERE p.id = v.id"
            ),
            {
                "ids": [r[0] for r in patrol_rows],
                "distances": [r[1] for r in patrol_rows],
                "flagged": [r[2] for r in patrol_rows],
                "flags": [r[3] for r in patrol_rows],
            },
        )


def _execute_all(sql: str) -> None:
    # asyncpg prepares each statement, and a prepared statement holds one command: one at a time.
    for statement in re.split(r"(?<=\$;)\n|;\n(?=CREATE TRIGGER)", sql):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    op.add_column("patrol_fixes", sa.Column("step_m", sa.Double(), nullable=True))
    # Before the update trigger exists: the rollups are rebuilt at the end anyway.
    _walk_existing_tracks()
    op.execute("DROP TRIGGER activity_fixes_inserted ON patrol_fixes")
    op.execute("DROP TRIGGER activity_fixes_deleted ON patrol_fixes")
    for function in _REPLACED:
        op.execute(f"ALTER FUNCTION {function} RENAME TO {function[:-2]}_before_0012")
        op.execute(
            f"COMMENT ON FUNCTION {function[:-2]}_before_0012() IS "
            "'Before migration 0012, kept for its downgrade; not used.'"
        )
    _execute_all(FUNCTIONS)
    _execute_all(TRIGGERS)
    op.execute("SELECT activity_rebuild()")


def downgrade() -> None:
    op.execute("DROP TRIGGER activity_patrols_deleting ON patrols")
    for trigger in ("activity_fixes_inserted", "activity_fixes_deleted", "activity_fixes_updated"):
        op.execute(f"DROP TRIGGER {trigger} ON patrol_fixes")
    for function in (
        *_REPLACED,
        "activity_fixes_update()",
        "activity_patrol_deleting()",
        "activity_stretch_minutes(timestamptz, timestamptz)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    for function in _REPLACED:
        op.execute(f"ALTER FUNCTION {function[:-2]}_before_0012() RENAME TO {function[:-2]}")
        op.execute(f"COMMENT ON FUNCTION {function} IS NULL")
    # 0006's triggers, on the functions put back.
    op.execute(
        "CREATE TRIGGER activity_fixes_inserted AFTER INSERT ON patrol_fixes REFERENCING NEW TABLE AS "
        "new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_fixes_insert()"
    )
    op.execute(
        "CREATE TRIGGER activity_fixes_deleted AFTER DELETE ON patrol_fixes REFERENCING OLD TABLE AS "
        "old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_fixes_delete()"
    )
    op.drop_column("patrol_fixes", "step_m")
    op.execute("SELECT activity_rebuild()")
