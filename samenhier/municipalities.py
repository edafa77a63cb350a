"""Reference list of municipalities (gemeenten) with their CBS codes, and spelling aliases.

CBS codes are from the CBS list "Gemeentelijke indeling" (the ``GM`` + four-digit code). The first
four are the cities where the programme runs now; the others are there so that a national store (and
the national demo data) can name any of the largest municipalities.
"""

from __future__ import annotations

import unicodedata

MUNICIPALITIES: dict[str, str] = {
    "Den Haag": "GM0518",
    "Almere": "GM0034",
    "Haarlem": "GM0392",
    "Rotterdam": "GM0599",
    "Amsterdam": "GM0363",
    "Utrecht": "GM0344",
    "Eindhoven": "GM0772",
    "Groningen": "GM0014",
    "Tilburg": "GM0855",
    "Breda": "GM0758",
    "Nijmegen": "GM0268",
    "Apeldoorn": "GM0200",
    "Arnhem": "GM0202",
    "Enschede": "GM0153",
    "Amersfoort": "GM0307",
    "Zaanstad": "GM0479",
    "'s-Hertogenbosch": "GM0796",
    "Haarlemmermeer": "GM0394",
    "Zwolle": "GM0193",
    "Leiden": "GM0546",
    "Maastricht": "GM0935",
    "Dordrecht": "GM0505",
    "Zoetermeer": "GM0637",
    "Ede": "GM0228",
    "Leeuwarden": "GM0080",
    "Delft": "GM0503",
    "Alkmaar": "GM0361",
    "Deventer": "GM0150",
    "Helmond": "GM0794",
    "Heerlen": "GM0917",
    "Venlo": "GM0983",
    "Hilversum": "GM0402",
    "Amstelveen": "GM0362",
    "Emmen": "GM0114",
    "Westland": "GM1783",
    "Sittard-Geleen": "GM1883",
    "Oss": "GM1721",
    "Hengelo": "GM0164",
    "Purmerend": "GM0439",
    "Schiedam": "GM0606",
}

_ALIASES: dict[str, str] = {
    "'s-gravenhage": "Den Haag",
    "s-gravenhage": "Den Haag",
    "'s gravenhage": "Den Haag",
    "gravenhage": "Den Haag",
    "the hague": "Den Haag",
    "den-haag": "Den Haag",
    "denhaag": "Den Haag",
    "den bosch": "'s-Hertogenbosch",
    "s-hertogenbosch": "'s-Hertogenbosch",
}


def fold(text: str) -> str:
    """Text folded for matching: NFC, apostrophes unified, case folded, runs of white space as one space."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return " ".join(text.split()).casefold()


_BY_FOLDED = {fold(name): name for name in MUNICIPALITIES} | {fold(a): n for a, n in _ALIASES.items()}


def canonical_municipality(text: str) -> str | None:
    """The canonical name for a spelling of a municipality (``'s-Gravenhage``, ``den  haag`` → ``Den Haag``).

    Returns ``None`` when the name is not a known municipality or alias.
    """
    return _BY_FOLDED.get(fold(text))
