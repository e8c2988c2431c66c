"""The `markaz` command: serve, migrate, seed, stations import and export.

Every command opens the database the same way as the server (`api.database`), so with no
DATABASE_URL a command run beside a running server joins its embedded PostgreSQL. A command's errors
are one line on standard error, never a traceback: a bad setting, a database it cannot reach (the
commands wait for it a few seconds; `serve` waits longer, as start-up beside a database that is still
starting must), a reader of its output that went away (`markaz users list | head -1`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from api.config import Settings

# How a command other than `serve` waits for a configured database: two tries, each bounded, so that a
# wrong host or port is said within seconds (a quarter of a second when refused, 4.25 s when nothing
# answers), where `serve` waits about 18 s for a database starting beside it.
CLI_ATTEMPTS, CLI_CONNECT_TIMEOUT = 2, 2.0


def _settings(*, signs: bool = False) -> Settings:
    """The settings, or one line and exit status 1. A MARKAZ_SECRET_KEY that is set is checked by every
    command, so a weak one is refused before anything runs; `signs`: the command signs tokens (serve), and
    production needs a key."""
    from api.security import secret_key

    try:
        settings = Settings.from_env()
        if settings.secret_key or (signs and settings.production):
            secret_key(settings)
    except (ValueError, RuntimeError) as error:
        raise SystemExit(f"markaz: {error}") from None
    return settings


def _open_database(**options):
    """The command's database (api.database.open_database), waited for as a command waits."""
    from api.database import open_database

    return open_database(_settings(), attempts=CLI_ATTEMPTS, connect_timeout=CLI_CONNECT_TIMEOUT, **options)


# Set in the environment of the worker processes of `markaz serve --workers N` (read by `worker_app`).
WORKER_ENV = "MARKAZ_SERVE_WORKER"


def cmd_serve(args: argparse.Namespace) -> int:
    import signal

    import uvicorn

    # uvicorn re-raises the signal it shut down gracefully on, which would end the process by the signal
    # (exit status 143, or a KeyboardInterrupt trace for Ctrl-C); a graceful stop exits 0 instead.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    from api.app import create_app
    from api.database import DatabaseUnreachable, reach
    from api.logs import configure

    if args.workers < 1:
        print("markaz serve: --workers must be 1 or more", file=sys.stderr)
        return 2
    settings = _settings(signs=True)
    configure(settings.log_level, settings.log_format, pid=args.workers > 1)
    if args.workers > 1:
        return _serve_workers(args, settings)
    if settings.database_url is not None:
        # Waited for here, before uvicorn: its start-up would report a failure as a traceback.
        try:
            asyncio.run(reach(settings.database_url))
        except DatabaseUnreachable as error:
            print(f"markaz serve: {error}", file=sys.stderr)
            return 1
    app = create_app(settings, demo=args.demo)
    uvicorn.run(app, **_uvicorn_options(args))
    return 0


def _uvicorn_options(args: argparse.Namespace) -> dict:
    from api.graphql_ws import MAX_FRAME_BYTES

    # In-flight requests get 20 s to finish on SIGTERM before the process exits.
    # X-Forwarded-For is read by the app itself, from MARKAZ_TRUSTED_PROXIES only (api/security.py);
    # uvicorn's own reading would trust 127.0.0.1 by default.
    # A WebSocket frame beyond MAX_FRAME_BYTES is not read: the connection is closed with 1009.
    return {
        "host": args.host,
        "port": args.port,
        "log_config": None,
        "proxy_headers": False,
        "timeout_graceful_shutdown": 20,
        "server_header": False,
        "ws_max_size": MAX_FRAME_BYTES,
    }


def _serve_workers(args: argparse.Namespace, settings: Settings) -> int:
    """`markaz serve --workers N`: N uvicorn worker processes accepting on one port. This process starts
    the embedded PostgreSQL (when there is no DATABASE_URL), migrates, seeds the demo data and makes the
    development key, once, then hands the workers the database's URL; it stops the database after they
    have stopped (SIGTERM: each finishes its requests first). What the workers share goes through
    PostgreSQL (or Redis): docs/operations.md says what is counted per worker."""
    import dataclasses
    import os

    import uvicorn

    from api.database import DatabaseUnreachable, open_database
    from api.security import audit_keys, secret_key
    from db import embedded

    async def prepare(url: str) -> None:
        async with open_database(dataclasses.replace(settings, database_url=url), serving=True) as database:
            if args.demo:
                from resolvers.demo.seeding import seed_demo_if_empty

                await seed_demo_if_empty(database.sessionmaker)

    server = None
    url = settings.database_url
    try:
        if url is None:
            server, base = embedded.start(settings.data_dir)
            url = asyncio.run(embedded.ensure_database(base))
        try:
            asyncio.run(prepare(url))
        except DatabaseUnreachable as error:
            print(f"markaz serve: {error}", file=sys.stderr)
            return 1
        secret_key(settings)  # in development, the key file is written now, before the workers read it
        audit_keys(settings)
        os.environ["DATABASE_URL"] = url
        os.environ[WORKER_ENV] = "1"
        uvicorn.run("api.cli:worker_app", factory=True, workers=args.workers, **_uvicorn_options(args))
    finally:
        if server is not None:
            embedded.stop(server)
    return 0


def worker_app():
    """The app of one worker of `markaz serve --workers N` (uvicorn calls it in each worker process)."""
    from api.app import create_app
    from api.logs import configure

    settings = _settings(signs=True)
    configure(settings.log_level, settings.log_format, pid=True)
    return create_app(settings, migrate_first=False)


async def _migrate(args: argparse.Namespace) -> int:
    from db import migrate

    async with _open_database() as database:
        if args.check:
            await asyncio.to_thread(migrate.check, database.url)
        print(f"database at revision {migrate.head_revision()}")
    return 0


async def _seed(args: argparse.Namespace) -> int:
    from api.progress import Progress
    from resolvers.demo.seeding import credentials_text, seed_demo

    if not args.demo:
        print("markaz seed: only --demo is available; it loads the demo data set", file=sys.stderr)
        return 2
    if not 0 <= args.stations <= 1_000_000:
        print("markaz seed: --stations must be between 0 and 1,000,000", file=sys.stderr)
        return 2
    async with _open_database() as database:
        result, credentials = await seed_demo(
            database.sessionmaker, stations=args.stations, seed=args.seed, progress=Progress
        )
    print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in result.items()))
    print(credentials_text(credentials))
    return 0


def _audit_key_problem(command: str) -> str | None:
    """Why a command that writes audit entries cannot (one line), or None: the audit key must be good."""
    from api.security import audit_keys

    try:
        current, _ = audit_keys(_settings())
    except RuntimeError as error:
        return f"{command}: {error}"
    if current is None:
        return f"{command}: the audit log needs a key: set MARKAZ_AUDIT_KEY (or MARKAZ_SECRET_KEY)"
    return None


async def _stations_import(args: argparse.Namespace) -> int:
    from api.progress import Progress
    from resolvers import audit
    from resolvers.station_export import same_as_stored, stored_records
    from resolvers.station_import import parse_station_file
    from resolvers.station_writer import ImportAudit, write_stations

    path = Path(args.file)
    if not path.is_file():
        print(f"markaz stations import: no such file: {path}", file=sys.stderr)
        return 2
    # Each station written is audited (a dry run writes nothing, so it needs no key).
    if not args.dry_run and (refused := _audit_key_problem("markaz stations import")):
        print(refused, file=sys.stderr)
        return 2
    parsed = parse_station_file(path)
    unit = "line" if parsed.kind == "csv" else "feature"
    for error in parsed.errors:
        # "feature 8 (way/123)": the number, and the id the mapper searches the source for.
        where = f"{unit} {error.row}" if error.row else "file"
        where += f" ({error.feature_id})" if error.row and error.feature_id is not None else ""
        print(f"{path.name}: {where}: {error.field}: {error.message}", file=sys.stderr)
    good = len(parsed.records)
    if parsed.errors and args.strict:
        print(f"--strict: {len(parsed.errors)} problem(s); nothing imported", file=sys.stderr)
        return 1
    async with _open_database() as database, database.sessionmaker() as session:
        records = [r for _, r in parsed.records]
        # Stations the file states exactly as they are stored are left alone: a re-import changes nothing
        # (not even their closures' ids or the time they were last written).
        stored = await stored_records(session, [r.external_id for r in records if r.external_id is not None])
        changed = [
            r for r in records if r.external_id not in stored or not same_as_stored(r, stored[r.external_id])
        ]
        audited = (
            None if args.dry_run else ImportAudit(_operator("markaz stations import"), str(path), stored)
        )
        counts = await write_stations(
            session, changed, progress=Progress("import", len(changed)), audited=audited
        )
        if args.dry_run:
            await session.rollback()  # the writes ran, to count exactly, and are undone
        else:
            # One entry a station written, at the end: the chain's head is locked only until the commit.
            await audit.flush(session, counts.audit_entries)
            await session.commit()
    verb = "would insert" if args.dry_run else "inserted"
    verb2 = "would update" if args.dry_run else "updated"
    print(
        f"{good} good row(s): {verb} {counts.inserted}, {verb2} {counts.updated}, "
        f"unchanged {good - len(changed)}; {len(parsed.errors)} problem(s)"
        + (" (dry run: nothing written)" if args.dry_run else "")
    )
    return 1 if parsed.errors else 0


async def _stations_import_areas(args: argparse.Namespace) -> int:
    """Store each station's area from a GeoJSON file; every unusable feature is reported, one a line."""
    from api.progress import Progress
    from resolvers import audit
    from resolvers.station_areas import parse_area_file, write_areas

    path = Path(args.file)
    if not path.is_file():
        print(f"markaz stations import-areas: no such file: {path}", file=sys.stderr)
        return 2
    if not args.dry_run and (refused := _audit_key_problem("markaz stations import-areas")):
        print(refused, file=sys.stderr)
        return 2
    parsed = parse_area_file(path)
    async with _open_database() as database, database.sessionmaker() as session:
        written = await write_areas(
            session,
            parsed.areas,
            progress=Progress("areas", len(parsed.areas)),
            by=None if args.dry_run else _operator("markaz stations import-areas"),
            file=str(path),
        )
        problems = sorted(parsed.problems + written.problems, key=lambda p: p.feature)
        if args.dry_run or (problems and args.strict):
            await session.rollback()
        else:
            await audit.flush(session, written.audit_entries)  # one entry an area stored
            await session.commit()
    for problem in problems:
        where = f"feature {problem.feature}" if problem.feature else "file"
        print(f"{path.name}: {where}: {problem.field}: {problem.message}", file=sys.stderr)
    good = written.stored + written.unchanged
    nothing = " (dry run: nothing written)" if args.dry_run else ""
    if problems and args.strict and not args.dry_run:
        nothing = " (--strict: nothing written)"
    verb = "would store" if args.dry_run or (problems and args.strict) else "stored"
    print(
        f"{good} area(s) matched to stations: {verb} {written.stored}, unchanged {written.unchanged}; "
        f"{len(problems)} problem(s){nothing}"
    )
    return 1 if problems else 0


class _OutputFailed(Exception):
    """The output file could not be written; the message is the one line to print."""


async def _stations_export(args: argparse.Namespace) -> int:
    """Write every station to --output (or standard output) in the importer's GeoJSON or CSV."""
    import os

    from sqlalchemy.exc import DBAPIError

    from api.progress import Progress
    from db import station_export as repo
    from resolvers import station_export

    target = Path(args.output) if args.output else None
    fmt = args.format or ("csv" if target is not None and target.suffix.lower() == ".csv" else "geojson")
    if target is not None and target.is_dir():
        print(f"markaz stations export: cannot write {target}: it is a directory", file=sys.stderr)
        return 2
    # Written beside the target and renamed at the end: a failed export leaves no half file behind.
    partial = target.with_name(f".{target.name}.partial") if target is not None else None
    try:
        # The command's one output file; nothing else runs concurrently with it.
        out = open(partial, "w", encoding="utf-8", newline="") if partial else sys.stdout  # noqa: ASYNC230
    except OSError as error:
        print(f"markaz stations export: cannot write {target}: {error.strerror}", file=sys.stderr)
        return 2

    def write(chunk: str) -> None:
        try:
            out.write(chunk)
        except BrokenPipeError:
            raise  # the reader went away: main() stops quietly
        except OSError as error:  # a full disk
            raise _OutputFailed(f"cannot write {target or 'standard output'}: {error.strerror}") from None

    unidentified = 0
    try:
        async with _open_database(migrate_first=False) as database, database.sessionmaker() as session:
            await repo.begin_snapshot(session)
            total = await repo.count_all(session)

            async def pages():
                nonlocal unidentified
                async for records in station_export.every_record(session):
                    unidentified += sum(r.external_id is None for r in records)
                    yield records

            async for chunk in station_export.chunks(pages(), fmt, Progress("export", total)):
                write(chunk)
        if partial is not None:
            assert target is not None  # a partial file is made only for a target
            try:
                out.close()
                os.replace(partial, target)
            except OSError as error:
                raise _OutputFailed(f"cannot write {target}: {error.strerror}") from None
    except (_OutputFailed, DBAPIError) as error:
        if isinstance(error, _OutputFailed):
            reason = str(error)
        elif getattr(error.orig, "sqlstate", None) == "42P01":  # undefined_table: never migrated
            reason = "the database has no stations yet (run `markaz migrate` or `markaz stations import`)"
        else:
            reason = str(error.orig).splitlines()[0]
        print(f"markaz stations export: {reason}", file=sys.stderr)
        return 1
    finally:
        if partial is not None:
            out.close()
            partial.unlink(missing_ok=True)
    where = f" to {target}" if target is not None else ""
    print(f"{total} station(s) written{where} as {fmt}", file=sys.stderr if target is None else sys.stdout)
    if unidentified:
        print(
            f"note: {unidentified} station(s) have no external id: importing this file into the same "
            "database would add them again",
            file=sys.stderr,
        )
    return 0


def _read_password() -> str:
    """The new password, from MARKAZ_PASSWORD or standard input: never an argument, which `ps` would show."""
    import getpass
    import os

    if os.environ.get("MARKAZ_PASSWORD"):
        return os.environ["MARKAZ_PASSWORD"]
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SystemExit("markaz: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


async def _users(args: argparse.Namespace) -> int:
    from resolvers import officers
    from resolvers.audit import NoAuditKey

    if args.users_command != "list":  # a change to an account is audited: the audit key must be good
        if refused := _audit_key_problem(f"markaz users {args.users_command}"):
            print(refused, file=sys.stderr)
            return 2
    async with _open_database() as database, database.sessionmaker() as session:
        try:
            if args.users_command == "add":
                station_id = await officers.station_reference(session, args.station) if args.station else None
                officer_id = await officers.add_officer(
                    session,
                    badge=args.badge,
                    name=args.name,
                    role=args.role,
                    password=_read_password(),
                    gender=args.gender,
                    rank=args.rank,
                    station_id=station_id,
                    governorates=args.governorate or (),
                    by=_operator("markaz users add"),
                )
                print(f"officer {officer_id} added (badge {args.badge.strip()}, {args.role})")
            elif args.users_command == "list":
                for row in await officers.list_officers(session):
                    where = row.station_id if row.station_id is not None else ",".join(row.governorates)
                    state = "active" if row.active else "disabled"
                    print(f"{row.badge_number}\t{row.role}\t{where}\t{state}\t{row.name}")
            elif args.users_command == "disable":
                ended = await officers.disable_officer(
                    session, args.badge, by=_operator("markaz users disable")
                )
                print(f"{args.badge} disabled; {ended} session(s) ended")
            else:
                ended = await officers.reset_password(
                    session, args.badge, _read_password(), by=_operator("markaz users reset-password")
                )
                print(f"password of {args.badge} changed; {ended} session(s) ended")
        except (officers.AccountError, NoAuditKey) as error:
            print(f"markaz users {args.users_command}: {error}", file=sys.stderr)
            return 2
        await session.commit()
    return 0


def _operator(command: str) -> str:
    """Who ran an administration command, for the audit log: the command and the system user."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container's)
        import os

        user = f"uid {os.getuid()}"
    return f"{command} (system user {user})"


async def _audit(args: argparse.Namespace) -> int:
    from api.audit_anchors import AnchorFileError, anchor_now, read
    from api.security import audit_keys
    from resolvers import audit

    settings = _settings()
    path = Path(args.anchors) if args.anchors else settings.anchor_file
    command = f"markaz audit {args.audit_command}"
    try:
        current, old_keys = audit_keys(settings)
    except RuntimeError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return 2
    if current is None:
        print(
            f"{command}: no audit key: set MARKAZ_AUDIT_KEY (or MARKAZ_SECRET_KEY) as the server has it",
            file=sys.stderr,
        )
        return 2
    async with _open_database() as database:
        if args.audit_command == "anchor":
            anchor = await anchor_now(database.reader, path)
            print(
                f"audit log anchored at id {anchor.id} in {path}"
                if anchor
                else "audit log empty: nothing to anchor"
            )
            return 0
        try:
            anchors = read(path) if path.exists() else []
        except AnchorFileError as error:
            print(f"{command}: {error}", file=sys.stderr)
            return 2
        async with database.sessionmaker() as session:
            result = await audit.verify(session, anchors=anchors, old_keys=old_keys)
    if not result.ok:
        where = f"entry {result.first_bad_id}: " if result.first_bad_id is not None else ""
        print(f"audit log TAMPERED: {where}{result.reason} ({result.entries} entries read)", file=sys.stderr)
        return 1
    unkeyed = f"; {result.unkeyed} from before the keyed chain (plain SHA-256)" if result.unkeyed else ""
    print(f"audit log intact: {result.entries} entries, every link verified{unkeyed}")
    if result.last_anchor is not None:
        print(
            f"anchors: {result.anchors_checked} matched, the newest at id {result.last_anchor.id} "
            f"({result.last_anchor.at}) in {path}"
        )
    else:
        print(
            f"note: no anchor in {path}: the removal of the newest entries cannot be ruled out",
            file=sys.stderr,
        )
    return 0


async def _export_activity(args: argparse.Namespace) -> int:
    """Write the activity export to --output (or standard output), with progress on standard error."""
    import uuid
    from datetime import datetime
    from types import SimpleNamespace

    from api.progress import Progress
    from resolvers import activity_export, policy
    from resolvers.context import Context
    from resolvers.errors import InputError
    from resolvers.ids import global_id

    bbox = None
    if args.bbox:
        south, west, north, east = (float(v) for v in args.bbox.split(","))
        bbox = SimpleNamespace(south=south, west=west, north=north, east=east)
    area = SimpleNamespace(
        bbox=bbox,
        polygon=None,
        governorate_id=global_id("Governorate", args.governorate) if args.governorate else None,
        station_id=global_id("Station", args.station) if args.station else None,
    )
    # Whoever runs the command holds the database: it exports as an administrator would see it.
    operator = policy.Viewer(
        officer_id=0,
        role=policy.ADMIN,
        station_id=None,
        station_governorate=None,
        governorates=frozenset(),
        session_id=uuid.uuid4(),
        name="markaz export",
    )
    async with _open_database(migrate_first=False) as database:
        ctx = Context(sessionmaker=database.sessionmaker, lang="en", viewer=operator)
        try:
            export = await activity_export.prepare(
                ctx,
                area,
                datetime.fromisoformat(args.from_),
                datetime.fromisoformat(args.to),
                args.resolution,
                args.format,
            )
        except (InputError, ValueError) as error:
            print(f"markaz export activity: {error}", file=sys.stderr)
            return 2
        progress = Progress("months", len(export.windows))
        # The command's one output file; nothing else runs concurrently with it.
        out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: ASYNC230
        try:
            async for chunk in export.chunks(progress):
                out.write(chunk)
        finally:
            await ctx.close(commit=False)
            if args.output:
                out.close()
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from schema import build_schema

    text = build_schema().as_str() + "\n"
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_contract(args: argparse.Namespace) -> int:
    from mobile_contract import compat, releases
    from schema import build_schema
    from schema.strawberry_internals import graphql_schema

    schema = build_schema()
    try:
        if args.contract_command == "build":
            manifest = releases.build(
                args.app,
                args.version,
                schema.as_str() + "\n",
                directory=Path(args.manifests),
                replace=args.replace,
            )
            print(f"{manifest.path}: {len(manifest.operations)} operation(s) of {manifest.release}")
            return 0
        manifests = releases.load_all(Path(args.manifests))
    except releases.ContractError as error:
        print(f"markaz contract {args.contract_command}: {error}", file=sys.stderr)
        return 2
    snapshot = releases.SNAPSHOT.read_text(encoding="utf-8") if releases.SNAPSHOT.exists() else None
    findings = compat.check(graphql_schema(schema), manifests, snapshot, strict=args.strict)
    for finding in findings:
        print(finding, file=sys.stderr if finding.level == "error" else sys.stdout)
    for app in releases.APPS:
        # Operations being developed that no kept release ships yet: neither phones nor the production
        # safelist know them until a release's manifest is built.
        released = {op.sha256 for m in manifests if m.app == app for op in m.operations}
        try:
            pending = [op.name for op in releases.operations_of(app) if op.sha256 not in released]
        except releases.ContractError:
            pending = []
        if pending:
            print(
                f"note: {app}: not in any kept release yet: {', '.join(pending)} "
                f"(`markaz contract build --app {app} --version ...` when it ships)"
            )
    errors = sum(f.level == "error" for f in findings)
    operations = sum(len(m.operations) for m in manifests)
    print(
        f"{len(manifests)} release(s), {operations} operation(s) checked: {errors} error(s), "
        f"{len(findings) - errors} warning(s)"
    )
    return 1 if errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="markaz", description="Markaz: GraphQL for community policing.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="seed demo data into an empty database")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the port (one per core; default 1)"
    )
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="migrate the database to the newest schema")
    mig.add_argument("--check", action="store_true", help="also fail when models and migrations disagree")
    mig.set_defaults(coro=_migrate)

    seed = sub.add_parser("seed", help="load data sets")
    seed.add_argument("--demo", action="store_true", help="the demo data set (model stations and more)")
    seed.add_argument("--stations", type=int, default=300, help="generated stations besides the six models")
    seed.add_argument("--seed", type=int, default=2026, help="random seed: the same seed gives the same data")
    seed.set_defaults(coro=_seed)

    stations = sub.add_parser("stations", help="station data")
    stations_sub = stations.add_subparsers(dest="stations_command", required=True)
    imp = stations_sub.add_parser(
        "import", help="import stations from GeoJSON or CSV, or an OpenStreetMap (Overpass) GeoJSON export"
    )
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    imp.add_argument("--strict", action="store_true", help="import nothing when any row is bad")
    imp.set_defaults(coro=_stations_import)
    areas = stations_sub.add_parser(
        "import-areas",
        help="import station areas (beats): a GeoJSON FeatureCollection of Polygon/MultiPolygon features, "
        "each naming its station by a `station`, `station_id`, `station_code`, `code` or `ref` property",
    )
    areas.add_argument("file")
    areas.add_argument("--dry-run", action="store_true", help="check and match, write nothing")
    areas.add_argument("--strict", action="store_true", help="import nothing when any feature is bad")
    areas.set_defaults(coro=_stations_import_areas)
    exp = stations_sub.add_parser(
        "export", help="write every station as GeoJSON or CSV, in the files `stations import` reads"
    )
    exp.add_argument(
        "--format",
        choices=("geojson", "csv"),
        help="default: csv for an --output ending in .csv, else geojson",
    )
    exp.add_argument("--output", metavar="FILE", help="file to write (default: standard output)")
    exp.set_defaults(coro=_stations_export)

    users = sub.add_parser("users", help="officer accounts (passwords from stdin or MARKAZ_PASSWORD)")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="add an officer")
    add.add_argument("--badge", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=["OFFICER", "STATION_COMMANDER", "SUPERVISOR", "ADMIN"])
    add.add_argument("--station", help="the station's id or code, like NI-MOS-001 (officers and commanders)")
    add.add_argument("--governorate", action="append", help="governorate code, repeatable (supervisors)")
    add.add_argument("--gender", default="MALE", choices=["FEMALE", "MALE"])
    add.add_argument("--rank")
    users_sub.add_parser("list", help="list officers")
    for name, text in (
        ("disable", "disable an officer and end their sessions"),
        ("reset-password", "set a new password and end their sessions"),
    ):
        cmd = users_sub.add_parser(name, help=text)
        cmd.add_argument("--badge", required=True)
    users.set_defaults(coro=_users)

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify",
        help="check the keyed chain and the anchors; exit 1 when an "
        "entry was changed or removed, or the newest ones truncated",
    )
    anchor = audit_sub.add_parser("anchor", help="append the chain's head to the anchor file now")
    for cmd in (verify, anchor):
        cmd.add_argument(
            "--anchors",
            metavar="FILE",
            help="the anchor file (default: MARKAZ_AUDIT_ANCHOR_FILE, or audit-anchors.jsonl in "
            "the data directory)",
        )
    audit.set_defaults(coro=_audit)

    export = sub.add_parser("export", help="export data")
    export_sub = export.add_subparsers(dest="export_command", required=True)
    act = export_sub.add_parser("activity", help="activity per H3 cell and month, as CSV or GeoJSON")
    act.add_argument("--format", choices=("csv", "geojson"), default="csv")
    act.add_argument("--from", dest="from_", required=True, help="start, ISO 8601 with offset, on the hour")
    act.add_argument("--to", required=True, help="end (exclusive), ISO 8601 with offset, on the hour")
    act.add_argument("--resolution", type=int, default=8, help="H3 resolution, 5 to 10")
    where = act.add_mutually_exclusive_group(required=True)
    where.add_argument("--governorate", help="an ISO 3166-2:IQ code, e.g. IQ-NI")
    where.add_argument("--station", type=int, help="a station's id")
    where.add_argument("--bbox", help="south,west,north,east in degrees")
    act.add_argument("--output", help="file to write (default: standard output)")
    act.set_defaults(coro=_export_activity)

    schema = sub.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.add_argument("--write", metavar="FILE", help="write it to FILE instead")
    schema.set_defaults(func=cmd_schema)

    from mobile_contract.releases import APPS, MANIFESTS

    contract = sub.add_parser("contract", help="the mobile apps' operations: release manifests and checks")
    contract_sub = contract.add_subparsers(dest="contract_command", required=True)
    build = contract_sub.add_parser("build", help="write the manifest of an app release")
    build.add_argument("--app", required=True, choices=APPS)
    build.add_argument("--version", required=True, help="the app release, like 1.4.0")
    build.add_argument(
        "--replace", action="store_true", help="rewrite an existing manifest (only before the release ships)"
    )
    check = contract_sub.add_parser("check", help="fail when the schema can no longer serve a kept release")
    check.add_argument("--strict", action="store_true", help="dangerous changes fail too")
    for cmd in (build, check):
        cmd.add_argument("--manifests", default=str(MANIFESTS), help="directory of the kept manifests")
    contract.set_defaults(func=cmd_contract)
    return parser


def main(argv: list[str] | None = None) -> int:
    import logging
    import os

    from api.database import DatabaseUnreachable

    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "coro", None) is not None:
            from api.logs import configure

            settings = _settings()
            configure("WARNING", settings.log_format)
            # A command waits seconds, not minutes: its one line says why it gave up, without a line a try.
            logging.getLogger("markaz.database").setLevel(logging.ERROR)
            status = asyncio.run(args.coro(args))
        else:
            status = args.func(args)
        sys.stdout.flush()
    except DatabaseUnreachable as error:
        print(f"markaz {args.command}: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of the output went away (`markaz schema | head -1`): stop quietly, as Unix tools do.
        # Standard output goes to /dev/null so that the interpreter's last flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
