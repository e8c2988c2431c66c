"""Citizens' feedback: the anonymous survey after a visit or a meeting (submitFeedback), its summary
under the disclosure rule's base numbers (feedbackSummary), and its comments for the station's commander.

**Anonymous.** An answer keeps its station, service, rating, the three yes/no answers, the gender when
given, the comment, and its day: no address, no device id, no time of day. Floods are held by a token
bucket per address in the rate limiter's store (memory, PostgreSQL or Redis buckets, never with the
answer); a resend with the same `clientId` is dropped. The station's QR token is checked when sent and
optional for apps (docs/feedback.md says why); answers without it are also held per station, from all
sources together.

**Base numbers.** As on the public map (resolvers/disclosure.py), every figure shown is a sum of
published base numbers. A base is one station's answers in one completed calendar month (Baghdad); it is
published when it holds at least MIN_COUNT answers, and is otherwise counted as nothing. A published base
is split by service only when every service in it has MIN_COUNT answers or none, and into women and the
others only when both have MIN_COUNT: a split with a small part is not shown at all, so no difference of
two figures (a total minus its parts, one range of months minus another, one governorate minus its
stations) can isolate fewer than MIN_COUNT answers. Months still running are never counted: a day's
answers would be the difference of two days' figures.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from db import feedback as repo
from db.rows import FeedbackBaseRow
from resolvers import activity_plan, disclosure, policy
from resolvers import stations as station_logic
from resolvers.context import Context
from resolvers.errors import Forbidden, InputError
from resolvers.field_checks import now_utc
from resolvers.idempotency import content_hash
from resolvers.messages import message
from resolvers.mutation_errors import Collector, fail
from resolvers.text_checks import check_plain_text, source_key

MIN_COUNT = disclosure.PUBLIC_MIN_COUNT
MAX_COMMENT = 1000
SERVICES = (
    "COMMUNITY_POLICING",
    "COMMUNITY_MEETING",
    "CRIME_REPORTING",
    "FAMILY_AND_CHILD_PROTECTION",
    "JUVENILE_POLICE",
    "WOMEN_OFFICERS_DESK",
    "TRAFFIC",
    "CIVIL_DOCUMENTS",
    "OTHER",
)
GENDERS = ("FEMALE", "MALE")
# A source (an address, an IPv6 /64) may send this many answers at once, then one every 6 minutes.
FEEDBACK_BURST = 10
FEEDBACK_RATE = 1 / 360
# Answers without the station's QR token (apps that did not read the code), from all sources together: a
# station takes this many at once, then one every 30 minutes. A flood spread over many addresses, or a
# script walking station ids, adds at most that to any station; answers with the token are not held by it.
TOKENLESS_BURST = 20
TOKENLESS_RATE = 1 / 1800
MAX_MONTHS = 36
MAX_COMMENTS = 200
KIND = "submitFeedback"


@dataclasses.dataclass(frozen=True, slots=True)
class Submitted:
    duplicate: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """An answer as the web form sends it: the fields (and names) of SubmitFeedbackInput, so that both
    hash alike (resolvers.idempotency.content_hash)."""

    client_id: uuid.UUID
    station_id: str
    service: str
    rating: int
    treated_with_respect: bool
    would_come_back: bool
    felt_safe_reporting: bool
    gender: str | None = None
    comment: str | None = None
    station_token: str | None = None


def station_token(secret_key: str, station_id: int) -> str:
    """The token in a station's QR link (/feedback/<station>?t=...): made from the server's key, so it is
    kept nowhere and cannot be guessed for another station; a new key makes new links."""
    digest = hmac.new(secret_key.encode(), f"feedback-form:{station_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def token_matches(secret_key: str, station_id: int, token: str) -> bool:
    return hmac.compare_digest(station_token(secret_key, station_id).encode(), token.encode()[:64])


async def _take_token(ctx: Context, key: str, rate: float, burst: float) -> int | None:
    """Seconds to wait when the bucket `key` is empty; None to go on (a token taken). The bucket is the
    app's rate limiter's (off in development, like every limit); its key names no answer."""
    app = getattr(ctx.request, "app", None)
    limiter = getattr(getattr(app, "state", None), "rate_limiter", None)
    if limiter is None:
        return None
    wait = await limiter.take(key, rate, burst)
    return None if wait is None else max(1, int(wait + 0.999))


async def submit_feedback(ctx: Context, input: Any) -> Submitted:
    """Store one anonymous answer; the same `clientId` with the same answers again is a duplicate."""
    lang = ctx.lang
    errors = Collector(lang)
    station_id = _station_key(errors, input.station_id)
    service = _plain(input.service)
    if not 1 <= input.rating <= 5:
        errors.add(("rating",), "range", low=1, high=5)
    gender = _plain(input.gender) if input.gender is not None else None
    comment = check_plain_text(errors, ("comment",), input.comment, max_length=MAX_COMMENT)
    token = getattr(input, "station_token", None)
    if token is not None and station_id is not None and not token_matches(ctx.secret_key, station_id, token):
        errors.add(("stationToken",), "bad_station_token")
    errors.check()
    assert station_id is not None  # errors.check() raised otherwise
    digest = content_hash(KIND, input)
    async with ctx.db() as session:
        earlier = await repo.feedback_by_client_id(session, input.client_id)
    if earlier is not None:
        return _replayed(ctx, earlier.content_hash, digest)
    station = (await station_logic.station_rows(ctx, [station_id])).get(station_id)
    if station is None or not station.active:
        fail(lang, ("stationId",), "not_found", "NOT_FOUND", kind="station")
    wait = await _take_token(ctx, f"feedback:{source_key(ctx.client_ip)}", FEEDBACK_RATE, FEEDBACK_BURST)
    if wait is not None:
        fail(lang, None, "rate_limited", "LIMIT_EXCEEDED", retry_after=wait, seconds=wait)
    if token is None:  # optional for apps (docs/feedback.md): a station takes few such answers at a time
        wait = await _take_token(ctx, f"feedback-tokenless:{station_id}", TOKENLESS_RATE, TOKENLESS_BURST)
        if wait is not None:
            key = "tokenless_feedback_limited"
            fail(lang, ("stationToken",), key, "LIMIT_EXCEEDED", retry_after=wait, seconds=wait)
    values = {
        "client_id": input.client_id,
        "content_hash": digest,
        "station_id": station_id,
        "service": service,
        "rating": input.rating,
        "respected": input.treated_with_respect,
        "would_return": input.would_come_back,
        "safe_reporting": input.felt_safe_reporting,
        "gender": gender,
        "comment": comment,
        "submitted_on": activity_plan.day_floor(now_utc()).date(),
    }
    async with ctx.db() as session:
        made = await repo.insert_feedback(session, values)
        if made is None:  # sent twice at once: the other one won
            earlier = await repo.feedback_by_client_id(session, input.client_id)
    if made is None:
        assert earlier is not None
        return _replayed(ctx, earlier.content_hash, digest)
    return Submitted(duplicate=False)


def _replayed(ctx: Context, stored: str, digest: str) -> Submitted:
    if stored != digest:
        fail(ctx.lang, ("clientId",), "conflict_client_id", "CONFLICT")
    return Submitted(duplicate=True)


def _station_key(errors: Collector, value: str) -> int | None:
    from resolvers.ids import record_key

    return record_key(errors, ("stationId",), value, "Station")


def _plain(value: Any) -> str:
    return str(getattr(value, "value", value))


# --- the summary ----------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Figures:
    """Sums of base numbers: answers, the sum of their ratings, and the yes answers to each question."""

    responses: int = 0
    rating_sum: int = 0
    respected: int = 0
    would_return: int = 0
    felt_safe: int = 0

    def add(self, other: Figures) -> None:
        self.responses += other.responses
        self.rating_sum += other.rating_sum
        self.respected += other.respected
        self.would_return += other.would_return
        self.felt_safe += other.felt_safe

    @classmethod
    def of(cls, row: FeedbackBaseRow) -> Figures:
        return cls(row.n, row.rating_sum, row.respected_yes, row.return_yes, row.safe_yes)

    def share(self, yes: int) -> float | None:
        return round(yes / self.responses, 4) if self.responses else None

    @property
    def mean_rating(self) -> float | None:
        return round(self.rating_sum / self.responses, 3) if self.responses else None


@dataclasses.dataclass(slots=True)
class Base:
    """One station's answers in one month, with its parts by service and women/others."""

    station_id: int
    month: date
    total: Figures = dataclasses.field(default_factory=Figures)
    services: dict[str, Figures] = dataclasses.field(default_factory=dict)
    women: Figures = dataclasses.field(default_factory=Figures)
    others: Figures = dataclasses.field(default_factory=Figures)

    @property
    def published(self) -> bool:
        return self.total.responses >= MIN_COUNT

    @property
    def services_published(self) -> bool:
        return self.published and all(f.responses >= MIN_COUNT for f in self.services.values())

    @property
    def genders_published(self) -> bool:
        return self.published and self.women.responses >= MIN_COUNT and self.others.responses >= MIN_COUNT


def bases(rows: Iterable[FeedbackBaseRow]) -> list[Base]:
    """The base numbers of rows counted per station, month, service and women/others."""
    found: dict[tuple[int, date], Base] = {}
    for row in rows:
        base = found.get((row.station_id, row.month))
        if base is None:
            base = found[(row.station_id, row.month)] = Base(row.station_id, row.month)
        figures = Figures.of(row)
        base.total.add(figures)
        base.services.setdefault(row.service, Figures()).add(figures)
        (base.women if row.female else base.others).add(figures)
    return list(found.values())


@dataclasses.dataclass(slots=True)
class Summary:
    """What feedbackSummary shows: every number a sum of published base numbers."""

    start: datetime
    end: datetime
    total: Figures
    by_month: dict[date, Figures]
    by_station: dict[int, Figures]
    by_service: dict[str, Figures]
    women: Figures | None
    others: Figures | None


def summarise(found: Sequence[Base], start: datetime, end: datetime) -> Summary:
    total, women, others = Figures(), Figures(), Figures()
    by_month: dict[date, Figures] = {}
    by_station: dict[int, Figures] = {}
    by_service: dict[str, Figures] = {}
    split = False
    for base in found:
        if not base.published:
            continue
        total.add(base.total)
        by_month.setdefault(base.month, Figures()).add(base.total)
        by_station.setdefault(base.station_id, Figures()).add(base.total)
        if base.services_published:
            for service, figures in base.services.items():
                by_service.setdefault(service, Figures()).add(figures)
        if base.genders_published:
            split = True
            women.add(base.women)
            others.add(base.others)
    return Summary(
        start,
        end,
        total,
        dict(sorted(by_month.items())),
        by_station,
        dict(sorted(by_service.items())),
        women if split else None,
        others if split else None,
    )


def feedback_scope(
    viewer: policy.Viewer | None, station: Any | None, governorate: str | None, lang: str
) -> policy.Scope:
    """Who may read feedback summaries (policy.may_read_feedback), after the area asked about."""
    viewer = policy.require_officer(viewer)
    if not policy.may_read_feedback(viewer):
        raise Forbidden(message("forbidden", lang))
    return policy.activity_scope(
        viewer,
        station_id=station.id if station is not None else None,
        governorate=governorate,
        station_governorate=station.governorate_code if station is not None else None,
    )


async def feedback_summary(
    ctx: Context,
    *,
    station_id: int | None,
    governorate: str | None,
    start: datetime,
    end: datetime,
) -> Summary:
    lang = ctx.lang
    station = None
    if station_id is not None:
        station = (await station_logic.station_rows(ctx, [station_id])).get(station_id)
        if station is None:
            policy.require_officer(ctx.viewer)
            raise InputError("stationId", message("not_found", lang, field="stationId", kind="station"))
    scope = feedback_scope(ctx.viewer, station, governorate, lang)
    first, last = whole_months(start, end, lang)
    async with ctx.db() as session:
        rows = await repo.feedback_bases(
            session,
            first_day=first.date(),
            end_day=last.date(),
            station_id=station_id,
            governorate=governorate,
            scope_stations=None if scope.everything else sorted(scope.station_ids),
            scope_governorates=None if scope.everything else sorted(scope.governorates),
        )
    return summarise(bases(rows), first, last)


def whole_months(start: datetime, end: datetime, lang: str) -> tuple[datetime, datetime]:
    """The completed calendar months (Baghdad) of [start, end): from the month `start` falls in to the
    last one over by both `end` and now (as the public map's periods)."""
    if end <= start:
        raise InputError("to", message("not_before", lang, field="to", other="from"))
    first, last = disclosure.public_period(start, end, now_utc())
    first_local, last_local = first.astimezone(activity_plan.BAGHDAD), last.astimezone(activity_plan.BAGHDAD)
    months = (last_local.year - first_local.year) * 12 + last_local.month - first_local.month
    if months > MAX_MONTHS:
        raise InputError("to", message("period_too_long", lang, field="to", high=MAX_MONTHS))
    return first_local, last_local


async def feedback_comments(
    ctx: Context, *, station_id: int, start: datetime, end: datetime, first: int | None
) -> list[tuple[date, str]]:
    """The comments of a station's answers over the whole completed months of [start, end) (as the
    summary's, `whole_months`), each with its month only: for the station's commander. A period is never
    finer than a month, and the running month is never read (reading it day after day would date each new
    comment to its day), so no two questions tell comments of one month apart by when they came."""
    lang = ctx.lang
    viewer = policy.require_officer(ctx.viewer)
    station = (await station_logic.station_rows(ctx, [station_id])).get(station_id)
    if station is None or not policy.may_read_feedback_comments(viewer, station.id):
        raise Forbidden(message("forbidden", lang))
    month_from, month_to = whole_months(start, end, lang)
    limit = min(max(first or 50, 1), MAX_COMMENTS)
    async with ctx.db() as session:
        rows = await repo.feedback_comments(
            session,
            station_id=station_id,
            first_day=month_from.date(),
            end_day=month_to.date(),
            limit=limit,
        )
    return [(row.month, row.comment) for row in rows]


def feedback_link(ctx: Context, station: Any) -> str:
    """The path of a station's feedback form with its token, for its QR code: its commander's, or an
    admin's (policy.may_read_feedback_comments decides who holds the station's feedback)."""
    viewer = policy.require_officer(ctx.viewer)
    if station is None or not (
        viewer.role == policy.ADMIN or policy.may_read_feedback_comments(viewer, station.id)
    ):
        raise Forbidden(message("forbidden", ctx.lang))
    return f"/feedback/{station.id}?t={station_token(ctx.secret_key, station.id)}"
