"""Demo groups are named after neighbourhoods of their own city (issue 14: the newcomer tester saw a Rotterdam
neighbourhood for an Almere group), and that changes nothing else in the demo."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from sqlalchemy import select

from samenhier import demo
from samenhier.demo import demo_frames
from samenhier.demo_national import NationalSize, load_national
from samenhier.models import Municipality, WelcomeGroup

AS_OF = dt.date(2026, 11, 15)

# A few well-known neighbourhoods of each programme city (written down here, not taken from the code).
KNOWN = {
    "Den Haag": {"Schilderswijk", "Transvaal", "Moerwijk", "Scheveningen"},
    "Almere": {"Muziekwijk", "Stedenwijk", "Filmwijk", "Waterwijk"},
    "Haarlem": {"Schalkwijk", "Delftwijk", "Rozenprieel", "Kleverpark"},
    "Rotterdam": {"Feijenoord", "Delfshaven", "Kralingen", "Charlois"},
}


def _neighbourhood(name: str) -> str:
    match = re.fullmatch(r"Welkomgroep (.+) \d+", name)
    assert match, name
    return match.group(1)


def test_every_demo_group_is_named_after_a_neighbourhood_of_its_own_city():
    groups = demo_frames(AS_OF)["groepen"]
    assert set(groups["gemeente"]) == set(KNOWN)
    for city, part in groups.groupby("gemeente"):
        used = {_neighbourhood(n) for n in part["naam"]}
        assert used <= set(demo.neighbourhoods(city)), city
        others = set().union(*(names for other, names in KNOWN.items() if other != city))
        assert not used & others, (city, used & others)
        assert used & KNOWN[city], city  # 12 groups over 10 names: the well-known ones show up


def test_the_rest_of_the_demo_is_the_same_as_before(monkeypatch):
    # Every city's list has ten names like the generic list, so the random stream is unchanged: only the
    # group names differ from a demo built with the generic names for every city (as before the change).
    now = demo_frames(AS_OF)
    monkeypatch.setattr(demo, "NEIGHBOURHOODS_BY_MUNICIPALITY", {})
    before = demo_frames(AS_OF)
    assert {len(v) for v in (demo.NEIGHBOURHOODS, *demo.NEIGHBOURHOODS_BY_MUNICIPALITY.values())} == {10}
    for sheet, frame in now.items():
        columns = [c for c in frame.columns if not (sheet == "groepen" and c == "naam")]
        pd.testing.assert_frame_equal(frame[columns], before[sheet][columns], obj=sheet)
    assert (now["groepen"]["naam"] != before["groepen"]["naam"]).any()
    # the number at the end of each name stays
    assert list(now["groepen"]["naam"].str.extract(r"(\d+)$")[0]) == list(
        before["groepen"]["naam"].str.extract(r"(\d+)$")[0]
    )


def test_national_demo_names_groups_of_the_programme_cities_after_their_own_neighbourhoods(engine):
    load_national(
        engine,
        AS_OF,
        seed=1,
        size=NationalSize(municipalities=6, groups=60, newcomers=80, waiting_newcomers=10, years=2),
    )
    with engine.connect() as c:
        rows = c.execute(
            select(Municipality.name, WelcomeGroup.name).join(
                Municipality, Municipality.id == WelcomeGroup.municipality_id
            )
        ).all()
    for city, name in rows:
        used = _neighbourhood(name)
        others = set().union(*(names for other, names in KNOWN.items() if other != city))
        assert used not in others, (city, name)
        assert used in demo.neighbourhoods(city), (city, name)
    # the two cities outside the programme's four get the generic names
    assert {_neighbourhood(n) for city, n in rows if city not in KNOWN} <= set(demo.NEIGHBOURHOODS)
