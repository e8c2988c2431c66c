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
flags; then every rollup is rebuilt. The downgrade puts the previous functions back (db/sql/functions)
and rebuilds the rollups by the old rule (it leaves distances and flags as walked: the old code walks a
track again on its next late batch).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from db import definitions

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The functions this migration replaces in place (the insert and delete triggers keep pointing at
# them), those it adds, and its triggers (db/sql).
REPLACED = (
    "functions/activity_fixes_insert",
    "functions/activity_fixes_delete",
    "functions/activity_rebuild",
)
ADDED = (
    "functions/activity_stretch_minutes",
    "functions/activity_fixes_update",
    "functions/activity_patrol_deleting",
)
TRIGGERS = ("triggers/patrol_fixes.activity_fixes_updated", "triggers/patrols.activity_patrols_deleting")
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


def upgrade() -> None:
    op.add_column("patrol_fixes", sa.Column("step_m", sa.Double(), nullable=True))
    # Before the update trigger exists: the rollups are rebuilt at the end anyway.
    _walk_existing_tracks()
    definitions.install(op.execute, "0012", *ADDED, *REPLACED, *TRIGGERS)
    op.execute("SELECT activity_rebuild()")


def downgrade() -> None:
    op.execute("DROP TRIGGER activity_patrols_deleting ON patrols")
    op.execute("DROP TRIGGER activity_fixes_updated ON patrol_fixes")
    for function in ("activity_fixes_update()", "activity_patrol_deleting()"):
        op.execute(f"DROP FUNCTION {function}")
    definitions.install_previous(op.execute, "0012", *REPLACED)
    op.execute("DROP FUNCTION activity_stretch_minutes(timestamptz, timestamptz)")
    op.drop_column("patrol_fixes", "step_m")
    op.execute("SELECT activity_rebuild()")
