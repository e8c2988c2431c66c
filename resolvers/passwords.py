"""Password hashing with argon2id (RFC 9106's second recommended parameters, sized for a 2-core server), and
which new passwords are refused.

New passwords follow NIST SP 800-63B-4 (section 3.1.1.2): a password that is the only factor is at least
15 characters; there are no composition rules (no "one digit, one capital"), but a password is checked
against a blocklist of commonly used, expected or compromised values: the common passwords of
`common_passwords.txt`, passwords made of repeated or sequential characters or a keyboard run, a common
password with a few predictable characters around it, and the context (the service's name, the badge
number, the officer's name). Checked wherever a password is set: `markaz users add` and `reset-password`,
and an officer's own `changePassword`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the badge does not exist, so an unknown badge takes as long as a wrong password.
_DUMMY = _HASHER.hash("markaz-no-such-officer")
MIN_LENGTH = 15
MAX_LENGTH = 256
SERVICE_WORDS = ("markaz", "police", "shurta", "مركز", "شرطة")
_COMMON = Path(__file__).with_name("common_passwords.txt")
# Keys in the order they sit on a US keyboard, row by row: a run along a row is a run here.
_KEYBOARD = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./"
# Look-alike characters of "leet" spelling, read back as the letters they stand for.
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
    }
)
_ENDS = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.DOTALL)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def common_passwords() -> frozenset[str]:
    """The blocklist, casefolded (its header, lines starting with `#`, says where it comes from)."""
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _runs(text: str, position: Callable[[str], int | None]) -> int:
    """How many runs of a constant step of -1, 0 or +1 (by `position`) the text is made of."""
    runs, step, previous = 0, None, None
    for char in text:
        here = position(char)
        delta = here - previous if here is not None and previous is not None else None
        if delta is not None and ((step is None and delta in (-1, 0, 1)) or delta == step):
            step = delta
        else:
            runs, step = runs + 1, None
        previous = here
    return runs


def _keyboard(char: str) -> int | None:
    found = _KEYBOARD.find(char)
    return found if found >= 0 else None


def predictable(text: str) -> bool:
    """Repeated or sequential characters, or keyboard runs: `aaaa`, `abcabc`, `98765`, `qwerty`, or a run
    for every five characters (`aaaaa12345`, `qwertyasdfgzxcv`), or as few different characters (three
    at most: `aaabbbaaabbbccca`)."""
    allowed = max(1, len(text) // 5)
    if len(set(text)) <= min(allowed, 3):
        return True
    if any(text[k:] == text[:-k] for k in range(1, len(text) // 2 + 1)):  # a shorter unit repeated
        return True
    return min(_runs(text, ord), _runs(text, _keyboard)) <= allowed


def _core(text: str) -> tuple[str, str]:
    """(the text without digits and punctuation at its ends, read back from leet, what was stripped)."""
    found = _ENDS.match(text)
    assert found is not None  # the pattern matches any text
    return found.group(1).translate(_LEET), text[: found.start(1)] + text[found.end(1) :]


# Why a new password is refused, by the code `password_refusal` gives (resolvers/messages.py has the same
# reasons for people, as `password_<code>`, in the three languages).
REFUSALS = {
    "too_short": f"a password needs at least {MIN_LENGTH} characters",
    "too_long": f"a password has at most {MAX_LENGTH} characters",
    "spaces": "a password may not start or end with spaces",
    "common": "this password is one of the most common passwords",
    "predictable": "this password is repeated or sequential characters or a keyboard run",
    "padded": "this password is a common or predictable password with a few characters added",
    "context": "this password is built on the badge number, the name or the service's name",
}


def password_problem(password: str, context: Iterable[str] = ()) -> str | None:
    """Why a new password is refused, or None. `context`: the badge number, the officer's name."""
    code = password_refusal(password, context)
    return None if code is None else REFUSALS[code]


def password_refusal(password: str, context: Iterable[str] = ()) -> str | None:
    """The code (a key of REFUSALS) of why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    if password.strip() != password or not password.strip():
        return "spaces"
    text = unicodedata.normalize("NFKC", password).casefold()
    common = common_passwords()
    if text in common or text.translate(_LEET) in common:
        return "common"
    if predictable(text):
        return "predictable"
    core, rest = _core(text)
    if (core in common or predictable(core)) and (2 * len(core) >= len(text) or predictable(rest)):
        return "padded"
    words = {w.casefold() for part in (*context, *SERVICE_WORDS) for w in re.split(r"\W+", part)}
    words |= {unicodedata.normalize("NFKC", part).casefold().strip() for part in context}
    left = text
    for word in sorted((w for w in words if len(w) >= 3), key=len, reverse=True):
        left = left.replace(word, "")
    if left != text and (2 * len(left) <= len(text) or predictable(left)):
        return "context"
    return None
