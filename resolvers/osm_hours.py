"""OpenStreetMap `opening_hours` values read as a station's weekly hours.

The syntax (https://wiki.openstreetmap.org/wiki/Key:opening_hours/specification) is parsed and evaluated
by opening-hours-py, the Python binding of the `opening-hours` Rust crate: it implements the whole
specification, including what a hand-written reader gets wrong (a later rule replacing an earlier one's
days, "," adding to them, `off` with times closing only those times, weekday ranges that wrap like
"Sa-Th", times past midnight like "20:00-02:00"). This module decides what of an expression a station's
model can hold, and converts it:

- the week the expression describes becomes `Period`s (local wall time, the station's own zone);
- an expression open the whole week ("24/7", "Mo-Su 00:00-24:00") is `always_open`;
- `PH off` (or `closed`, alone or as "Fr,PH off") sets `closes_on_holidays`: the public holidays
  themselves come from elsewhere;
- anything that makes one week differ from another, or that the model has no place for, is refused and
  named (month and date ranges, week numbers, years, the n-th weekday of a month, Easter, school
  holidays, sun times, open ends, repeating times, day offsets, `unknown`, comments, fallback rules,
  hours of their own on public holidays): the importer reports it for that feature instead of guessing.

Without a country the library knows no public holiday, so evaluating the expression as written gives the
ordinary week; `PH` is read from the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from opening_hours import OpeningHours, ParserError, State  # type: ignore[attr-defined]  # not in its stub

from resolvers.station_records import Period

# OSM's own limit for a tag value; anything longer did not come from OpenStreetMap.
MAX_LENGTH = 255
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# The week read (Monday 1 January 2024, naive: wall time), and a week half a year later that must read
# the same: a rule that depends on the date and slipped past the checks below shows up there.
_WEEK = datetime(2024, 1, 1)
_OTHER_WEEK = datetime(2024, 7, 1)

_COMMENT = re.compile(r'"[^"]*"')
# What a weekly model cannot hold, found in the text with comments taken out. Case-insensitive, as the
# library reads "jan" and "sunrise" whatever their case.
_UNSUPPORTED = (
    (re.compile(r"\|\|"), "fallback rules"),
    (re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b", re.I), "month or date ranges"),
    (re.compile(r"\bweek\b", re.I), "week numbers"),
    (re.compile(r"\b\d{4}\b"), "years"),
    (re.compile(r"\[[^\]]*\]"), "the n-th weekday of a month"),
    (re.compile(r"\beaster\b", re.I), "Easter"),
    (re.compile(r"\bSH\b", re.I), "school holidays"),
    (re.compile(r"\b(?:sunrise|sunset|dawn|dusk)\b", re.I), "sun times"),
    (re.compile(r"(?<=\d)\+"), "open ends"),
    (re.compile(r"(?<!\b24)/|/(?!7\b)"), "repeating times"),  # any "/" but the one of "24/7"
    (re.compile(r"\bdays?\b", re.I), "day offsets"),
    (re.compile(r"\bunknown\b", re.I), "unknown hours"),
)
_PH = re.compile(r"\bPH\b", re.I)
# A rule that only closes days, public holidays among them: "PH off", "Fr,PH closed", "Su,PH off".
_PH_CLOSED = re.compile(r"(?:(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:\s*[-,]\s*)?)+\s+(?:off|closed)", re.I)
# People type en dashes between days and times and leave a ";" at the end; the meaning is plain.
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})


class OpeningHoursError(ValueError):
    """The value cannot become a station's hours; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    periods: tuple[Period, ...]  # the station's own periods (service None), in week order from Monday
    always_open: bool
    closes_on_holidays: bool


def _rules(text: str) -> list[str]:
    """The rules of the text (comments already removed) between ";" and "||", trimmed, empty ones dropped."""
    return [rule.strip() for rule in re.split(r";|\|\|", text) if rule.strip()]


def _word(text: str, start: int, end: int) -> str:
    """The text around [start, end) up to the blanks on either side: "10:00+", "Th[3],Th[-1]", "Jun"."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def _refusals(text: str) -> tuple[list[str], bool]:
    """What in the text a station's weekly hours cannot express, and whether it closes on holidays."""
    found: list[str] = []
    if comments := _COMMENT.findall(text):
        found.append(f"comments ({comments[0]})")
    bare = _COMMENT.sub(" ", text)
    for pattern, name in _UNSUPPORTED:
        if match := pattern.search(bare):
            found.append(f"{name} ('{_word(bare, *match.span())}')")
    closes_on_holidays = False
    for rule in _rules(bare):
        if not _PH.search(rule):
            continue
        if _PH_CLOSED.fullmatch(rule):
            closes_on_holidays = True
        else:
            found.append(f"hours of their own on public holidays ('{rule}'; only 'PH off' can be kept)")
    return found, closes_on_holidays


def _syntax_error(text: str, error: ParserError) -> OpeningHoursError:
    """The parser's multi-line report as one line: where it stopped, and what stands there."""
    where = re.search(r"-->\s*\d+:(\d+)", str(error))
    column = int(where[1]) if where else None
    if column is None:
        return OpeningHoursError(f"'{text}' is not valid opening_hours syntax")
    near = text[column - 1 : column + 11]
    at = f"'{near}'" if near else "the end"
    return OpeningHoursError(
        f"'{text}' is not valid opening_hours syntax (at character {column}: {at}); "
        "write it like 'Sa-Th 08:00-14:00; PH off'"
    )


def _open_spans(hours: OpeningHours, start: datetime) -> list[tuple[int, int, State]]:
    """The week from `start` as [start, end) minutes from its Monday 00:00, with the state of each span
    that is not closed."""
    spans: list[tuple[int, int, State]] = []
    for begins, ends, state, _comment in hours.intervals(start, start + timedelta(days=7)):
        if state != State.CLOSED:
            first = int((begins - start).total_seconds()) // 60
            spans.append((first, int((ends - start).total_seconds()) // 60, state))
    return spans


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _periods(spans: list[tuple[int, int]]) -> list[Period]:
    """Open spans of the week as periods: one per span shorter than a day (past midnight when it must),
    a span of a day or more cut at midnights ("00:00"-"24:00" for a whole day)."""
    periods = []
    for first, last in spans:
        while first < last:
            day, minute = divmod(first, MINUTES_PER_DAY)
            length = last - first
            if length < MINUTES_PER_DAY:
                closes = (minute + length) % MINUTES_PER_DAY
                periods.append(Period(day % 7, _hhmm(minute), "24:00" if closes == 0 else _hhmm(closes)))
                break
            periods.append(Period(day % 7, _hhmm(minute), "24:00"))
            first += MINUTES_PER_DAY - minute
    return periods


def parse_opening_hours(value: str) -> WeeklyHours:
    """Read one `opening_hours` value; raises OpeningHoursError with the reason when it cannot be used."""
    text = value.strip().translate(_DASHES).rstrip("; ")
    if len(text) > MAX_LENGTH:
        raise OpeningHoursError(f"is {len(text)} characters long; OpenStreetMap allows {MAX_LENGTH}")
    if not text:
        return WeeklyHours((), False, False)
    try:
        hours = OpeningHours(text)
    except ParserError as error:
        raise _syntax_error(text, error) from None
    refused, closes_on_holidays = _refusals(text)
    week = _open_spans(hours, _WEEK)
    if not refused and week != _open_spans(hours, _OTHER_WEEK):
        refused.append("hours that change during the year")
    if any(state == State.UNKNOWN for *_, state in week) and not refused:
        refused.append("unknown hours")
    if refused:
        raise OpeningHoursError(
            f"'{text}' uses {', '.join(refused)}, which a station's weekly hours cannot express"
        )
    spans: list[tuple[int, int]] = []
    for first, last, _ in week:  # spans that touch are one (the library splits them where comments differ)
        if spans and spans[-1][1] == first:
            spans[-1] = (spans[-1][0], last)
        else:
            spans.append((first, last))
    # The week read is cut at its ends: a span open at Sunday's end goes on in the span open at Monday's
    # start (Su 22:00-02:00), and a week open from end to end is always open.
    if len(spans) > 1 and spans[0][0] == 0 and spans[-1][1] == MINUTES_PER_WEEK:
        spans = [(spans[-1][0], MINUTES_PER_WEEK + spans[0][1]), *spans[1:-1]]
    if spans == [(0, MINUTES_PER_WEEK)]:
        return WeeklyHours((), True, closes_on_holidays)
    return WeeklyHours(tuple(_periods(sorted(spans))), False, closes_on_holidays)
