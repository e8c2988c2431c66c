"""Sign-in throttling that slows password guessing and never locks the right password out.

A hard lock of an account after N failures (OWASP's "account lockout") hands anyone who knows a badge
number a way to keep its officer out; OWASP warns of exactly that, and suggests an exponential lockout
instead. So nothing here refuses an account; what is throttled is an account *and a source* together:

- **Per account and source.** A source is the device, when the app sends a device id (X-Device-Id) on
  which this account signed in before (OWASP's "device cookie" idea: the officer's own phone), else the
  client's address (an IPv6 one by its /64, which one subscriber holds whole). A device id the account
  never signed in on counts for nothing, so inventing ids buys no fresh tries. Each source gets
  `FREE_TRIES` tries free; after that every failure doubles the wait before its next try: 1 s, 2 s,
  4 s ... up to `MAX_WAIT_S` (15 minutes). A try during the wait is refused with LIMIT_EXCEEDED and the
  seconds left (`retryAfterSeconds`), the right password too, or the wait would not bind; after the wait
  it works. A right password clears that source's record; a source quiet for `FORGET_AFTER` starts over.
- **Per account, gently.** The account's failures from addresses are counted too, until an hour passes
  without one. From `UNDER_ATTACK` of them on (many addresses guessing one account) the account is under
  attack: an address that already failed against it gets no more free tries (its next waits 30 s, then
  1, 2, 4 ... minutes). An address with a clean record still gets its try, and the officer's own device
  is never affected: the right password from either is always checked, and works.

A stranger's wrong passwords thus fill only the stranger's own record (and, at most, take the free tries
of other addresses that already failed); the officer's phone signs in as ever. A distributed attack gets
one try per fresh address, then waits growing to a quarter of an hour per address.

Every try is counted when it starts, before the password is checked (it is uncounted if right): tries
sent at once queue for a moment on one row and each sees those before it, so concurrency buys no extra
tries. Each statement of the counting is a transaction of its own, committed before the password hash is
computed: no lock outlives the statement that took it, nothing waits on one while argon2 runs, and no
request sleeps.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db import officers as repo

FREE_TRIES = 5
FIRST_WAIT_S = 1.0
MAX_WAIT_S = 900.0
FORGET_AFTER = timedelta(hours=24)
ACCOUNT_WINDOW = timedelta(hours=1)
UNDER_ATTACK = 20
ATTACK_FREE_TRIES = 1
ATTACK_FIRST_WAIT_S = 30.0


class Throttled(Exception):
    """The source must wait before it may try this account again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True, slots=True)
class Attempt:
    """A try counted and allowed: the account's officer (None for an unknown badge) and where from."""

    badge_key: str
    source_key: str
    officer: Any
    from_address: bool  # counted against the account as well (not the officer's own device)


def badge_key(badge: str) -> str:
    return badge.strip().casefold()[:64]


def address_key(address: str | None) -> str:
    """The source key of a client address: IPv4 whole, IPv6 by its /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "ip:unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((ip, 64), strict=False)}"
    return f"ip:{ip}"


def wait_after(failures: int, *, under_attack: bool = False) -> float:
    """Seconds a source waits after `failures` (the same rule as db.officers.claim_attempt applies)."""
    free, first = (ATTACK_FREE_TRIES, ATTACK_FIRST_WAIT_S) if under_attack else (FREE_TRIES, FIRST_WAIT_S)
    return 0.0 if failures < free else min(MAX_WAIT_S, first * 2.0 ** (failures - free))


async def begin(session: AsyncSession, badge: str, device_id: str | None, address: str | None) -> Attempt:
    """Count a try at `badge` (as typed) from the device or address; Throttled when it must wait. The
    session must be fresh: each statement commits as it ends (the count stands whatever the password
    turns out to be, and no lock outlives its statement)."""
    key = badge_key(badge)
    await repo.statement_by_statement(session)
    officer = await repo.sign_in_subject(session, badge.strip(), device_id)
    by_device = officer is not None and officer.known_device
    source = f"device:{device_id}" if by_device else address_key(address)
    under_attack = not by_device and await repo.account_failures(session, key, ACCOUNT_WINDOW) >= UNDER_ATTACK
    free, first = (ATTACK_FREE_TRIES, ATTACK_FIRST_WAIT_S) if under_attack else (FREE_TRIES, FIRST_WAIT_S)
    counted = await repo.claim_attempt(
        session, key, source, free=free, first_s=first, max_s=MAX_WAIT_S, forget=FORGET_AFTER
    )
    if counted is None:
        raise Throttled(max(1, math.ceil(await repo.seconds_to_wait(session, key, source))))
    if not by_device:
        await repo.count_account_failure(session, key, ACCOUNT_WINDOW)
    return Attempt(key, source, officer, from_address=not by_device)


async def succeeded(session: AsyncSession, attempt: Attempt) -> None:
    """The password was right: the try is taken back from the counts (a fresh session, as for `begin`)."""
    await repo.statement_by_statement(session)
    await repo.attempt_succeeded(session, attempt.badge_key, attempt.source_key, counted=attempt.from_address)
