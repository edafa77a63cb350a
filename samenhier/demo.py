"""Realistic, fictional demo data, generated (not copied from the shared workbook).

:func:`demo_frames` builds the seven sheets in the workbook's layout, so the demo goes into the store
through the same validated import as a coordinator's own workbook. Everything is deterministic for a
given seed and as-of date; dates are relative to the as-of date, so the demo always looks current.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from samenhier.io.workbook import ImportResult, import_frames
from samenhier.models import GroupStatus, MeetingKind, Wave
from samenhier.municipalities import MUNICIPALITIES

FIRST_NAMES_NL = [
    "Anne",
    "Bas",
    "Daan",
    "Eva",
    "Femke",
    "Gijs",
    "Hanna",
    "Iris",
    "Jeroen",
    "Karin",
    "Lars",
    "Maud",
    "Noor",
    "Pieter",
    "Roos",
    "Sanne",
    "Thijs",
    "Vera",
    "Wim",
    "Yara",
    "Lotte",
    "Koen",
    "Mila",
    "Joost",
]
LAST_NAMES_NL = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Dijk",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Kok",
    "van den Berg",
    "Postma",
]
NEWCOMERS = [
    (
        "Syrië",
        "Arabisch",
        ["Ahmad", "Lina", "Omar", "Rania", "Yusuf", "Huda"],
        ["Al-Sayed", "Haddad", "Khoury", "Mansour"],
    ),
    (
        "Eritrea",
        "Tigrinya",
        ["Semhar", "Yonas", "Helen", "Dawit", "Selam"],
        ["Tesfay", "Gebremedhin", "Haile", "Berhe"],
    ),
    (
        "Afghanistan",
        "Dari, Pasjtoe",
        ["Farid", "Mina", "Zahra", "Karim"],
        ["Ahmadi", "Noori", "Sultani", "Wardak"],
    ),
    ("Turkije", "Turks", ["Emre", "Elif", "Murat", "Ayşe"], ["Demir", "Çelik", "Şahin", "Öztürk"]),
    ("Jemen", "Arabisch", ["Salma", "Tariq", "Amira"], ["Al-Ahmadi", "Saleh", "Qasim"]),
    ("Iran", "Farsi", ["Parisa", "Reza", "Shirin", "Navid"], ["Hosseini", "Rahimi", "Karimi", "Moradi"]),
]
NEIGHBOURHOODS = [
    "Centrum",
    "Noord",
    "Oost",
    "West",
    "Zuid",
    "Haven",
    "Park",
    "Dorp",
    "Molenwijk",
    "Bloemenbuurt",
]
NEIGHBOURHOODS_BY_MUNICIPALITY = {
    "Den Haag": [
        "Schilderswijk",
        "Transvaal",
        "Moerwijk",
        "Laak",
        "Duindorp",
        "Bezuidenhout",
        "Mariahoeve",
        "Ypenburg",
        "Vogelwijk",
        "Scheveningen",
    ],
    "Almere": [
        "Muziekwijk",
        "Stedenwijk",
        "Filmwijk",
        "Danswijk",
        "Literatuurwijk",
        "Waterwijk",
        "Kruidenwijk",
        "Tussen de Vaarten",
        "Parkwijk",
        "Staatsliedenwijk",
    ],
    "Haarlem": [
        "Schalkwijk",
        "Delftwijk",
        "Rozenprieel",
        "Kleverpark",
        "Leidsebuurt",
        "Garenkokerskwartier",
        "Zuiderpolder",
        "Ter Kleef",
        "Meerwijk",
        "Boerhaavewijk",
    ],
    "Rotterdam": [
        "Feijenoord",
        "Delfshaven",
        "Kralingen",
        "Charlois",
        "Crooswijk",
        "Afrikaanderwijk",
        "Bospolder",
        "Hillesluis",
        "Spangen",
        "Ommoord",
    ],
}
"""Neighbourhoods of the four programme cities, so a demo group in Almere is named after a part of Almere (issue 14:
a Rotterdam neighbourhood for an Almere group). Ten each, like :data:`NEIGHBOURHOODS`: ``rng.choice`` over a list of
the same length draws the same random number, so the rest of the demo (statuses, dates, answers) is unchanged."""


def neighbourhoods(municipality: str) -> list[str]:
    """The neighbourhood names for demo groups in ``municipality``: its own (:data:`NEIGHBOURHOODS_BY_MUNICIPALITY`),
    else the names any Dutch town has (:data:`NEIGHBOURHOODS`)."""
    return NEIGHBOURHOODS_BY_MUNICIPALITY.get(municipality, NEIGHBOURHOODS)


BUILDERS = [
    ("Fatima El Amrani", "Nederlands, Arabisch, Frans"),
    ("Mehari Tesfay", "Nederlands, Tigrinya, Engels"),
    ("Sara Jansen", "Nederlands, Engels"),
    ("Hamid Noori", "Nederlands, Dari, Farsi"),
    ("Elif Kaya", "Nederlands, Turks, Engels"),
    ("Tom de Jong", "Nederlands, Engels, Arabisch"),
]
NOTES = [
    "samen gekookt",
    "wandeling",
    "taaloefening",
    "naar de markt",
    "formulier ingevuld",
    "voetbal gekeken",
    "",
]
ANSWERS = ["ja", "min of meer", "nee"]


@dataclass(frozen=True)
class DemoSize:
    municipalities: int
    groups_per_municipality: int
    builders_per_municipality: int


DEMO = DemoSize(municipalities=4, groups_per_municipality=12, builders_per_municipality=1)


def status_for_age(
    rng: random.Random, age: int, *, active_weight: int = 4, completed_weight: int = 5
) -> GroupStatus:
    """A plausible status for a group that signed up ``age`` days ago: older groups are further along their
    life cycle (recruiting or training in the first two months, then waiting, then mostly active in their
    year, mostly completed after it; a few stop). The weights set how common active / completed are."""
    if age < 60:
        return rng.choice([GroupStatus.RECRUITING, GroupStatus.TRAINING])
    if age < 120:
        return rng.choice([GroupStatus.TRAINING, GroupStatus.AWAITING_MATCH])
    if age < 480:
        return rng.choice(
            [GroupStatus.ACTIVE] * active_weight + [GroupStatus.AWAITING_MATCH, GroupStatus.STOPPED]
        )
    return rng.choice([GroupStatus.COMPLETED] * completed_weight + [GroupStatus.STOPPED])


def demo_frames(as_of: dt.date, *, seed: int = 7, size: DemoSize = DEMO) -> dict[str, pd.DataFrame]:
    """The seven sheets (workbook column names) of a fictional programme as of ``as_of``."""
    rng = random.Random(seed)
    sheets: dict[str, list[dict]] = {
        k: []
        for k in (
            "community_builders",
            "groepen",
            "leden",
            "nieuwkomers",
            "koppelingen",
            "bijeenkomsten",
            "enquetes",
        )
    }
    member_no = newcomer_no = 0
    for m_index, (municipality, cbs) in enumerate(list(MUNICIPALITIES.items())[: size.municipalities]):
        builders = []
        for b in range(size.builders_per_municipality):
            name, languages = BUILDERS[(m_index * size.builders_per_municipality + b) % len(BUILDERS)]
            if size.builders_per_municipality * size.municipalities > len(BUILDERS):
                name = f"{name} {m_index + 1}.{b + 1}"
            builders.append(name)
            sheets["community_builders"].append(
                {
                    "naam": name,
                    "e-mail": f"cb{m_index}{b}@voorbeeld.nl",
                    "gemeente": municipality,
                    "talen": languages,
                }
            )
        for g in range(size.groups_per_municipality):
            code = f"{cbs[2:]}-{g + 1:03d}"
            signup = as_of - dt.timedelta(days=rng.randint(20, 900))
            age = (as_of - signup).days
            status = status_for_age(rng, age)
            training = (
                signup + dt.timedelta(days=rng.randint(25, 50))
                if status not in (GroupStatus.RECRUITING,)
                else None
            )
            if training and training > as_of:
                training = None
            sheets["groepen"].append(
                {
                    "groep_code": code,
                    "naam": f"Welkomgroep {rng.choice(neighbourhoods(municipality))} {g + 1}",
                    "gemeente": municipality,
                    "variant": rng.choice(["statushouders"] * 6 + ["hervestiging", "studenten"]),
                    "community_builder": rng.choice(builders),
                    "status": status.value,
                    "aangemeld_op": signup,
                    "training_afgerond_op": training,
                    "notities": "",
                }
            )
            members = []
            for i in range(rng.randint(3, 6)):
                member_no += 1
                first, last = rng.choice(FIRST_NAMES_NL), rng.choice(LAST_NAMES_NL)
                lid = f"L{member_no:05d}"
                members.append(lid)
                sheets["leden"].append(
                    {
                        "lid_code": lid,
                        "groep_code": code,
                        "voornaam": first,
                        "achternaam": last,
                        "e-mail": f"{first.lower()}.{member_no}@voorbeeld.nl",
                        "telefoon": f"06-{rng.randint(10_000_000, 99_999_999)}",
                        "rol": "contactpersoon" if i == 0 else "lid",
                        "lid_sinds": signup,
                        "vog_datum": signup + dt.timedelta(days=rng.randint(5, 40))
                        if signup + dt.timedelta(days=40) < as_of
                        else None,
                    }
                )
            if status in (GroupStatus.ACTIVE, GroupStatus.COMPLETED, GroupStatus.STOPPED) and training:
                newcomer_no += 1
                nk = _newcomer(rng, newcomer_no, municipality, training, "gematcht", sheets)
                proposed = training + dt.timedelta(days=rng.randint(10, 60))
                started = min(proposed + dt.timedelta(days=rng.randint(7, 25)), as_of)
                if status == GroupStatus.COMPLETED:
                    ended, reason, match_status = (
                        started + dt.timedelta(days=365),
                        "jaar afgerond",
                        "afgerond",
                    )
                elif status == GroupStatus.STOPPED:
                    ended, reason, match_status = (
                        started + dt.timedelta(days=rng.randint(60, 250)),
                        "verhuisd",
                        "gestopt",
                    )
                else:
                    ended, reason, match_status = None, "", "actief"
                ended = min(ended, as_of) if ended else None
                sheets["koppelingen"].append(
                    {
                        "groep_code": code,
                        "nieuwkomer_code": nk,
                        "voorgesteld_op": proposed,
                        "gestart_op": started,
                        "beeindigd_op": ended,
                        "status": match_status,
                        "reden_einde": reason,
                    }
                )
                _meetings(
                    rng, code, len(members), started, ended or as_of, fading=rng.random() < 0.2, sheets=sheets
                )
                _surveys(rng, code, members, nk, started, ended, as_of, sheets)
        for _ in range(rng.randint(3, 7)):  # the waiting queue
            newcomer_no += 1
            _newcomer(
                rng,
                newcomer_no,
                municipality,
                as_of - dt.timedelta(days=rng.randint(5, 400)),
                "wacht",
                sheets,
            )
    return {name: pd.DataFrame(rows) for name, rows in sheets.items()}


def _newcomer(
    rng: random.Random, number: int, municipality: str, registered: dt.date, status: str, sheets
) -> str:
    country, languages, firsts, lasts = rng.choice(NEWCOMERS)
    arrival = registered - dt.timedelta(days=rng.randint(60, 900))
    code = f"N{number:05d}"
    first = rng.choice(firsts)
    sheets["nieuwkomers"].append(
        {
            "nieuwkomer_code": code,
            "voornaam": first,
            "achternaam": rng.choice(lasts),
            "gemeente": municipality,
            "land_van_herkomst": country,
            "talen": languages + (", Engels" if rng.random() < 0.4 else ""),
            "huishoudgrootte": rng.choice([1, 1, 2, 3, 4, 5, 6]),
            "in_nederland_sinds": arrival,
            "verblijfsvergunning_sinds": arrival + dt.timedelta(days=rng.randint(30, 200)),
            "aangemeld_op": registered,
            "status": status,
            "e-mail": f"nk{number}@voorbeeld.nl",
            "telefoon": f"06-{rng.randint(10_000_000, 99_999_999)}",
        }
    )
    return code


def _meetings(
    rng: random.Random, code: str, size: int, start: dt.date, end: dt.date, *, fading: bool, sheets
) -> None:
    day = start
    gap = 9
    while day <= end:
        sheets["bijeenkomsten"].append(
            {
                "groep_code": code,
                "datum": day,
                "soort": rng.choice([k.value for k in MeetingKind] + ["groepsactiviteit"] * 3),
                "duur_minuten": rng.choice([60, 90, 120, 180]),
                "aanwezig_leden": rng.randint(1, size),
                "aanwezig_nieuwkomers": 1,
                "notitie": rng.choice(NOTES),
            }
        )
        if fading:
            gap += 4
        day += dt.timedelta(days=rng.randint(gap - 4, gap + 8))


def _surveys(
    rng: random.Random,
    code: str,
    members: list[str],
    newcomer: str,
    start: dt.date,
    end: dt.date | None,
    as_of: dt.date,
    sheets,
) -> None:
    waves = [
        (Wave.BASELINE, start + dt.timedelta(days=7)),
        (Wave.MIDTERM, start + dt.timedelta(days=182)),
        (Wave.END, start + dt.timedelta(days=358)),
    ]
    people = [(newcomer, "nieuwkomer", 0.75)] + [(m, "lid", 0.25) for m in members]
    for wave, when in waves:
        if when > as_of or (end and when > end + dt.timedelta(days=14)):
            break
        for code_, role, lonely in people:
            if rng.random() < 0.15:
                continue  # did not respond
            p = lonely * (0.55 if wave == Wave.END else 1.0)
            answers = []
            for item in range(6):
                lonely_answer = (
                    ANSWERS[rng.choice([0, 1])] if item in (0, 3, 5) else ANSWERS[rng.choice([1, 2])]
                )
                kind_answer = "nee" if item in (0, 3, 5) else "ja"
                answers.append(
                    None if rng.random() < 0.02 else (lonely_answer if rng.random() < p else kind_answer)
                )
            sheets["enquetes"].append(
                {
                    "respondent_code": code_,
                    "rol": role,
                    "groep_code": code,
                    "meting": wave.value,
                    "datum": when,
                    **dict(
                        zip(
                            ["leegte", "terugvallen", "vertrouwen", "mis_mensen", "verbonden", "in_de_steek"],
                            answers,
                            strict=True,
                        )
                    ),
                    "thuis_voelen": min(
                        5, rng.randint(2, 4) + (1 if wave == Wave.END and rng.random() < 0.5 else 0)
                    ),
                    "eenzaamheid_verandering": rng.choice(["minder", "minder", "gelijk", "meer"])
                    if wave == Wave.END
                    else None,
                    "nieuwe_contacten": rng.randint(0, 8) if wave == Wave.END else None,
                }
            )


def load_demo(engine: Engine, as_of: dt.date, *, seed: int = 7, username: str = "demo") -> ImportResult:
    """Generate the demo and import it (validated, one transaction).

    Raises:
        samenhier.io.workbook.ImportFailed: only if the generator produced invalid rows (a bug).
    """
    return import_frames(engine, demo_frames(as_of, seed=seed), username=username, source=f"demo seed {seed}")
