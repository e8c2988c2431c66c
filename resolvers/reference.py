"""Reference data every database needs: the governorates. Written by `markaz migrate` and at start-up."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db import stations as repo
from resolvers.governorates import GOVERNORATES


async def sync_reference_data(session: AsyncSession) -> None:
    await repo.upsert_governorates(
        session,
        [
            {
                "code": g.code,
                "name_ar": g.names["ar"],
                "name_ku": g.names["ku"],
                "name_en": g.names["en"],
                "latitude": g.latitude,
                "longitude": g.longitude,
            }
            for g in GOVERNORATES
        ],
    )
