"""Choosing the language of text for people from `Accept-Language`: Arabic, Kurdish or English."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

SUPPORTED = ("ar", "ku", "en")
FALLBACK = ("ar", "en", "ku")
# Sorani is "ckb"; clients also send "ku-IQ" or "ku-Arab". All map to our one Kurdish text.
_ALIASES = {"ckb": "ku", "kmr": "ku", "sdh": "ku"}


@lru_cache(maxsize=256)
def pick_language(header: str | None) -> str:
    """The supported language the client prefers most, by q-value; Arabic when nothing matches."""
    if not header:
        return "ar"
    best, best_q = None, 0.0
    for order, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        primary = _ALIASES.get(primary, primary)
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= order * 1e-6  # earlier entries win ties
        if primary in SUPPORTED and q > best_q:
            best, best_q = primary, q
    return best or "ar"


def localized(names: Mapping[str, str | None], lang: str) -> str:
    """`names[lang]`, or the first present of Arabic, English, Kurdish."""
    text = names.get(lang)
    if text:
        return text
    for other in FALLBACK:
        if names.get(other):
            return names[other]  # type: ignore[return-value]
    return ""
