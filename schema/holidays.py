"""Iraq's public holidays (`publicHolidays`, public) and the administrators' changes to them."""

from __future__ import annotations

import enum
from datetime import date

import strawberry

from resolvers import holiday_admin as logic
from resolvers import holidays
from resolvers.context import Context
from resolvers.lang import localized
from schema.common import LocalizedText, UserError
from schema.mutations import run
from schema.station_management import LocalizedTextInput


@strawberry.enum(description="Where a public holiday comes from.")
class PublicHolidayKind(enum.Enum):
    FIXED = strawberry.enum_value("FIXED", description="A Gregorian date of the law, every year.")
    ISLAMIC = strawberry.enum_value(
        "ISLAMIC", description="A Hijri date of the law (Umm al-Qura; moved when the moon is sighted)."
    )
    ONE_OFF = strawberry.enum_value("ONE_OFF", description="Declared once (by the Council of Ministers).")


@strawberry.type(description="A public holiday of Iraq, one or more whole days.")
class PublicHoliday:
    key: str = strawberry.field(
        description='Stable name of this occurrence: "eid-al-fitr-1445", "nowruz-2025", or a one-off\'s.'
    )
    kind: PublicHolidayKind = strawberry.field(description="Where it comes from.")
    starts_on: date = strawberry.field(description="Its first day.")
    ends_on: date = strawberry.field(description="Its last day (the same as startsOn for one day).")
    name: str = strawberry.field(description="Its name in the client's language.")
    names: LocalizedText = strawberry.field(description="Its name in every language.")
    national: bool = strawberry.field(
        description="For everyone (stations that close on holidays close); false: one community's only."
    )
    moved: bool = strawberry.field(description="An administrator moved it from its computed dates.")
    hijri_date: str | None = strawberry.field(
        description="The Hijri date of its first day by the law (YYYY-MM-DD), for Islamic holidays."
    )

    @classmethod
    def of(cls, holiday: holidays.Holiday, lang: str) -> PublicHoliday:
        names = {lang_: holiday.names.get(lang_) for lang_ in ("ar", "ku", "en")}
        return cls(
            key=holiday.key,
            kind=PublicHolidayKind(holiday.kind),
            starts_on=holiday.starts_on,
            ends_on=holiday.ends_on,
            name=localized(names, lang),
            names=LocalizedText(**names),
            national=holiday.national,
            moved=holiday.moved,
            hijri_date=holiday.hijri,
        )


@strawberry.input(description="Move a national holiday to the dates the government announced.")
class MovePublicHolidayInput:
    key: str = strawberry.field(description="The holiday's key, as publicHolidays gives it.")
    starts_on: date = strawberry.field(
        description="Its first day now (at most 7 days from the computed one)."
    )
    ends_on: date | None = strawberry.field(
        default=None, description="Its last day now; null: as many days as the law gives."
    )


@strawberry.input(description="Add (or change) a one-off public holiday.")
class SetPublicHolidayInput:
    key: str | None = strawberry.field(
        default=None, description="To change a one-off already set; null for a new one (a key is made)."
    )
    starts_on: date = strawberry.field(description="Its first day.")
    ends_on: date | None = strawberry.field(default=None, description="Its last day; null: one day.")
    names: LocalizedTextInput = strawberry.field(description="Its name (an Arabic or English one at least).")
    national: bool | None = strawberry.field(
        default=True, description="For everyone (default), or false for one community's."
    )


@strawberry.input(description="Remove a one-off holiday, or put a moved one back at its computed dates.")
class RemovePublicHolidayInput:
    key: str = strawberry.field(description="The holiday's key.")


@strawberry.type(description="The result of a public-holiday mutation.")
class PublicHolidayPayload:
    holiday: PublicHoliday | None = strawberry.field(
        description="The holiday as it now is; null when a one-off was removed, or on errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was done; empty on success.")


def _payload(ctx: Context, outcome: tuple) -> PublicHolidayPayload:
    result, errors, _ = outcome
    return PublicHolidayPayload(
        holiday=PublicHoliday.of(result, ctx.lang) if result is not None else None, errors=errors
    )


@strawberry.type
class HolidayQuery:
    @strawberry.field(
        description="Iraq's public holidays that start in `year` (1925 to 2076), by date, moved ones "
        "where they now are."
    )
    async def public_holidays(self, info: strawberry.Info[Context], year: int) -> list[PublicHoliday]:
        ctx = info.context
        return [PublicHoliday.of(h, ctx.lang) for h in await logic.public_holidays(ctx, year)]


@strawberry.type
class HolidayMutation:
    @strawberry.mutation(description="Move a national holiday (moon sighting); administrators only.")
    async def move_public_holiday(
        self, info: strawberry.Info[Context], input: MovePublicHolidayInput
    ) -> PublicHolidayPayload:
        ctx = info.context
        return _payload(ctx, await run(ctx, lambda: logic.move_public_holiday(ctx, input)))

    @strawberry.mutation(description="Add or change a one-off public holiday; administrators only.")
    async def set_public_holiday(
        self, info: strawberry.Info[Context], input: SetPublicHolidayInput
    ) -> PublicHolidayPayload:
        ctx = info.context
        return _payload(ctx, await run(ctx, lambda: logic.set_public_holiday(ctx, input)))

    @strawberry.mutation(
        description="Remove a one-off holiday, or put a moved one back at its computed dates; "
        "administrators only."
    )
    async def remove_public_holiday(
        self, info: strawberry.Info[Context], input: RemovePublicHolidayInput
    ) -> PublicHolidayPayload:
        ctx = info.context
        return _payload(ctx, await run(ctx, lambda: logic.remove_public_holiday(ctx, input)))
