"""Folding of names for forgiving search in Arabic, Kurdish and English.

People type Arabic names with or without hamza on the alef, with taa marbuta or haa, with alef maqsura
or yaa, with or without diacritics and tatweel; Kurdish adds Persian-style kaf and yaa. Both the stored
search key and the query are folded the same way, so any of those spellings finds the station.
"""

from __future__ import annotations

import re
import unicodedata

_MAP = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ة": "ه",
        "ۀ": "ه",
        "ە": "ه",
        "ھ": "ه",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ێ": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ۆ": "و",
        "ۇ": "و",
        "ک": "ك",
        "گ": "ك",
        "ڕ": "ر",
        "ڵ": "ل",
        "ـ": None,  # tatweel
    }
)
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """A search key: lower case, no diacritics or tatweel, one form for each family of letters."""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).translate(_MAP).casefold()
    # Latin accents too ("Al-Thaqāfa" finds "Al-Thaqafa").
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()
