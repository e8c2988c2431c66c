"""The live feed's log: events written by triggers, positions given at commit, NOTIFY on commit.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Why positions are given at commit: identity values are taken when a row is inserted, but transactions
commit in another order, so a reader could see event 11 before event 10 commits and, resuming "after 11",
miss 10 for ever. Here each transaction that wrote events owns one `activity_commits` row; a deferred
constraint trigger on it runs at COMMIT, takes a transaction-level advisory lock, draws the next position
and sends NOTIFY. PostgreSQL releases that lock only after the commit is visible, so position p+1 is drawn
after position p's transaction has ended: whoever sees p+1 also sees p (or p's transaction aborted and p
never appears). The visible positions are therefore always a prefix, and "everything after (p, id)" is
exact. The lock is held only from the trigger to the end of the commit; audited writes already queue on
the audit chain's lock at that moment.

Bulk loads of history (demo data, benchmarks) may `SET LOCAL markaz.activity_feed = 'off'`: their rows are
then not fed live (they are still counted everywhere else).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_XID = "(pg_current_xact_id()::text)::bigint"

_FUNCTIONS = [
    """
CREATE FUNCTION activity_feed_mark() RETURNS void LANGUAGE sql AS $$
  INSERT INTO activity_commits (xid) VALUES ((pg_current_xact_id()::text)::bigint) ON CONFLICT (xid) DO NOTHING
$$;
""",
    """
CREATE FUNCTION activity_feed_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('markaz.activity_feed', true) = 'off' THEN RETURN NULL; END IF;
  INSERT INTO activity_events (layer, record_id, station_id, governorate, latitude, longitude, occurred_at,
                               category, sensitive, officer_ids)
  SELECT 'INCIDENTS', i.id, i.station_id, s.governorate_code, i.latitude, i.longitude, i.occurred_at,
         i.category, i.sensitive, array_remove(ARRAY[i.reported_by_id], NULL) || i.assigned_officer_ids
  FROM added i JOIN stations s ON s.id = i.station_id ORDER BY i.id;
  IF FOUND THEN PERFORM activity_feed_mark(); END IF;
  RETURN NULL;
END $$;
""",
    """
CREATE FUNCTION activity_feed_engagements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('markaz.activity_feed', true) = 'off' THEN RETURN NULL; END IF;
  INSERT INTO activity_events (layer, record_id, station_id, governorate, latitude, longitude, occurred_at,
                               category, officer_ids)
  SELECT 'ENGAGEMENTS', e.id, e.station_id, s.governorate_code, e.latitude, e.longitude, e.occurred_at,
         e.kind, ARRAY[e.officer_id]
  FROM added e JOIN stations s ON s.id = e.station_id ORDER BY e.id;
  IF FOUND THEN PERFORM activity_feed_mark(); END IF;
  RETURN NULL;
END $$;
""",
    """
-- One position per patrol per batch of fixes: the newest fix of the batch.
CREATE FUNCTION activity_feed_patrol_fixes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('markaz.activity_feed', true) = 'off' THEN RETURN NULL; END IF;
  INSERT INTO activity_events (layer, record_id, station_id, governorate, latitude, longitude, occurred_at,
                               officer_ids)
  SELECT 'PATROLS', f.patrol_id, p.station_id, s.governorate_code, f.latitude, f.longitude, f.recorded_at,
         p.officer_ids
  FROM (SELECT DISTINCT ON (patrol_id) * FROM added ORDER BY patrol_id, recorded_at DESC) f
  JOIN patrols p ON p.id = f.patrol_id JOIN stations s ON s.id = p.station_id ORDER BY f.patrol_id;
  IF FOUND THEN PERFORM activity_feed_mark(); END IF;
  RETURN NULL;
END $$;
""",
    """
CREATE FUNCTION activity_feed_position() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  given bigint;
BEGIN
  -- Held until the commit is visible: the next position is drawn only after this one can be seen.
  PERFORM pg_advisory_xact_lock(7272003);
  given := nextval('activity_position_seq');
  UPDATE activity_commits SET position = given, committed_at = clock_timestamp() WHERE xid = NEW.xid;
  PERFORM pg_notify('markaz_activity', given::text);
  RETURN NULL;
END $$;
""",
]

_TRIGGERS = [
    *(
        f"CREATE TRIGGER activity_feed AFTER INSERT ON {table} REFERENCING NEW TABLE AS added "
        f"FOR EACH STATEMENT EXECUTE FUNCTION activity_feed_{table}()"
        for table in ("incidents", "engagements", "patrol_fixes")
    ),
    "CREATE CONSTRAINT TRIGGER activity_feed_position AFTER INSERT ON activity_commits "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION activity_feed_position()",
]


def upgrade() -> None:
    op.create_table(
        "activity_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("xid", sa.BigInteger(), server_default=sa.text(_XID), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("station_id", sa.BigInteger(), nullable=False),
        sa.Column("governorate", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("sensitive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "officer_ids", postgresql.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.CheckConstraint(
            "layer IN ('INCIDENTS', 'ENGAGEMENTS', 'PATROLS')", name=op.f("ck_activity_events_layer_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_events")),
    )
    op.create_index("ix_activity_events_xid_id", "activity_events", ["xid", "id"], unique=False)
    op.create_table(
        "activity_commits",
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("xid", name=op.f("pk_activity_commits")),
        sa.UniqueConstraint("position", name=op.f("uq_activity_commits_position")),
    )
    op.execute("CREATE SEQUENCE activity_position_seq AS bigint")
    for statement in (*_FUNCTIONS, *_TRIGGERS):  # one statement per call: asyncpg prepares each
        op.execute(statement)


def downgrade() -> None:
    for table in ("incidents", "engagements", "patrol_fixes"):
        op.execute(f"DROP TRIGGER activity_feed ON {table}")
    op.drop_table("activity_commits")  # its constraint trigger goes with it
    op.drop_table("activity_events")
    op.execute(
        "DROP FUNCTION activity_feed_position(), activity_feed_patrol_fixes(), "
        "activity_feed_engagements(), activity_feed_incidents(), activity_feed_mark()"
    )
    op.execute("DROP SEQUENCE activity_position_seq")
