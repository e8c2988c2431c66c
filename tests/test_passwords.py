"""Which new passwords are refused (NIST SP 800-63B-4): length, the blocklist of common passwords, repeated
and sequential characters, keyboard runs, a common password with a little added, and the context."""

from __future__ import annotations

import hashlib

import pytest

from resolvers import passwords
from resolvers.passwords import MIN_LENGTH, common_passwords, password_problem

CONTEXT = ("OFC-AL-THAQA-1", "Officer 1, al-Thaqafa")


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("x" * (MIN_LENGTH - 1) + "!", None),  # repeated: but first the length, at exactly the minimum
        ("short but ok", "at least 15"),
        (" leading space in it", "spaces"),
        ("1qaz2wsx3edc4rfv", "one of the most common"),  # a column walk, in the list
        ("ILOVEYOU" * 2, "repeated or sequential"),
        ("zzzzzzzzzzzzzzzzzzzz", "repeated or sequential"),
        ("abcdefghijklmnopq", "repeated or sequential"),
        ("987654321098765", "repeated or sequential"),
        ("qwertyuiop[]asdf", "repeated or sequential"),  # along the keyboard's rows
        ("aaaaaaaa12345678", "repeated or sequential"),  # two runs
        ("abcabcabcabcabc1", "common or predictable password with a few characters"),
        ("football1234567", "common or predictable password with a few characters"),
        ("Sunshine2024!!!!", "common or predictable password with a few characters"),
        ("p@$$w0rdp@$$w0rd", "repeated or sequential"),
        ("P@$$w0rd!!2024", "at least 15"),
        ("P@$$w0rd!!20245", "common or predictable password"),
        ("monkey123456789", "common or predictable password with a few characters"),
        ("ofc-al-thaqa-1-2026", "built on the badge number"),
        ("markaz-police-2026", "built on the badge number, the name or the service's name"),
        ("al-thaqafa officer 1", "built on the badge number"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, says: str | None) -> None:
    problem = password_problem(password, CONTEXT)
    if says is None:
        assert problem is not None and "at least" not in problem  # long enough, refused for what it is
    else:
        assert problem is not None and says in problem, (password, problem)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",
        "a river between two old bridges",
        "dragon384756102",
        "Tr0ub4dor&3-horse",
        "markaz-demo-2026",
        "كلمة سر طويلة للضابط",
        "وشەی نهێنی ئەفسەر",
        "the markaz station by the river",
        "7fK#q2LmZ9xW!c4T",
    ],
)
def test_ordinary_passphrases_and_random_passwords_pass(password: str) -> None:
    assert password_problem(password, CONTEXT) is None


def test_the_blocklist_is_the_packaged_list_with_its_source() -> None:
    text = passwords._COMMON.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("zxcvbn" in line for line in header) and any("MIT licence" in line for line in header)
    common = common_passwords()
    assert 5000 <= len(common) <= 20000
    assert {"password", "iloveyou", "football", "sunshine"} <= common
    assert all(word == word.casefold() and not word.startswith("#") for word in common)
    # The list holds what the rules do not already refuse.
    assert not any(passwords.predictable(word) for word in common)


def test_a_password_at_the_limits() -> None:
    longest = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(4))
    assert len(longest) == 256 and password_problem(longest) is None
    assert "at most 256" in (password_problem(longest + "x") or "")
