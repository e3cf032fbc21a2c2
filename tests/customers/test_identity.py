"""Identity scoring without a database: names across scripts, blocking keys, which pairs are suggested."""

from __future__ import annotations

from lara.customers.identity import (
    SUGGEST_THRESHOLD,
    Frequencies,
    Identity,
    NameComparison,
    candidate_pairs,
    frequencies_of,
    identity_keys,
    name_compare,
    pair_score,
)
from lara.customers.names import fold, transliterate

NO_BASE = Frequencies(customers=0)


def _compare(left: str, right: str) -> NameComparison:
    compared = name_compare(left, right, NO_BASE)
    assert compared is not None
    return compared


def _agreeing(left: str, right: str) -> list[str]:
    return [a.shown for a, _b, _s in _compare(left, right).agreeing]


def test_names_compare_word_by_word_across_latin_cyrillic_and_hebrew() -> None:
    assert transliterate("Дмитрий Соколов") == "dmitriy sokolov"
    assert transliterate("Ганна Литвин", ukrainian=True) == "hanna lytvyn"
    assert {fold("iuliia"), fold("yulia"), fold("julia")} == {"iulia"}
    dana = _compare("דנה לוי", "Dana Levi")
    assert (dana.similarity, dana.across_scripts, dana.differing) == (1.0, True, 0)
    for hebrew, latin in [
        ("מיכל כהן", "Michal Cohen"),
        ("מריה טקצ'נקו", "Maria Tkachenko"),  # צ' is ch
        ("מיכל מזרחי", "Michal Mizrahi"),  # ח written as an h Latin drops
        ("רוני רוזנברג", "Roni Rosenberg"),  # ז and s
    ]:
        assert _compare(hebrew, latin).similarity == 1.0, (hebrew, latin)
    assert _compare("Ганна Литвин", "Hanna Lytvyn").similarity == 1.0
    assert _compare("Юлия Мельник", "Iuliia Melnyk").similarity == 1.0
    assert _compare("Дмитрий Соколов", "Dmitry Sokolov").similarity == 1.0
    # Word order, typos and a space that slipped in do not matter; initials agree with words.
    assert _compare("Ryan Clarke", "Clarke Ryan").similarity == 1.0
    assert _compare("Gabrielle Thornbury", "Gabriele Thornbery").differing == 0
    assert _compare("tiana gr een", "Tiana Green").differing == 0
    assert (_compare("Yossi O.", "Yossi Ohana").initials, _compare("Yossi O.", "Yossi Ohana").differing) == (
        1,
        0,
    )
    # Different people's names do not agree, even where a skeleton would.
    assert _agreeing("Gal Yamin", "Gil Navon") == []
    assert _agreeing("רוני לוי", "אורן לוי") == ["לוי"]  # Hebrew is compared letter by letter with Hebrew
    assert _agreeing("מיכל כהן", "מיכל שטרן") == ["מיכל"]
    assert _agreeing("Olga Pavlova", "Oleg Pavlov") == ["olga"]  # Pavlov and Pavlova: two people
    assert _agreeing("Mykola Belov", "Mikhail Belov") == ["belov"]


def test_blocking_keys_survive_typos_swaps_missing_given_names_and_scripts() -> None:
    people = [
        Identity(customer_id=1, names=["Gabrielle Thornbury"], city="Ballarat"),
        Identity(customer_id=2, names=["Gabriele Thornbery"], city="Ballarat"),  # two typos
        Identity(customer_id=3, names=["Thornbury Gabrielle"]),  # swapped, no city
        Identity(customer_id=4, names=["Thornbery"], city="Ballarat"),  # no given name
        Identity(customer_id=5, names=["Dana Levi"]),
        Identity(customer_id=6, names=["דנה לוי"]),
        Identity(customer_id=7, names=["Tom Whitfield"]),
        Identity(customer_id=8, names=["Gary Holt"], handles={("x", "garyh")}),
        Identity(customer_id=9, names=["G. H."], handles={("forum", "garyh")}),
        Identity(customer_id=10, names=["Noa"], email_locals={"noacohen.tlv"}),
        Identity(customer_id=11, names=["נועה כהן"], handles={("x", "noacohen.tlv")}),  # handle = e-mail
    ]

    assert candidate_pairs(people) == {(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (5, 6), (8, 9), (10, 11)}
    assert identity_keys(people[0]) == {
        "p:gbrl+t",
        "p:trnbr+g",
        "c:gbrl@bal",
        "c:trnbr@bal",
    }


def _crowd() -> list[Identity]:
    """300 customers of five given names and six family names: every Dana Levi has ten namesakes."""
    given = ["Dana", "Noa", "Avi", "Yossi", "Maya"]
    family = ["Levi", "Cohen", "Mizrahi", "Peretz", "Biton", "Friedman"]
    cities = ["Tel Aviv", "Haifa", "Jerusalem"]
    return [
        Identity(customer_id=1000 + n, names=[f"{given[n % 5]} {family[n // 5 % 6]}"], city=cities[n % 3])
        for n in range(300)
    ]


PERSONAS = [
    Identity(customer_id=1, names=["Dana Levi"], city="Tel Aviv"),
    Identity(customer_id=2, names=["Dana Levi"], city="Tel Aviv"),
    Identity(customer_id=3, names=["Dana Levi"], handles={("twitter", "dana_rides")}),
    Identity(customer_id=4, names=["Dana Levi"], handles={("instagram", "dana_rides")}),
    Identity(customer_id=5, names=["Yehonatan Rosenzweig"]),
    Identity(customer_id=6, names=["Yehonatan Rosenzweig"], city="Haifa"),
    Identity(customer_id=7, names=["Yehonatan Rosenzweig"], city="Eilat"),
    Identity(customer_id=8, names=["Avraham Shteinberg"], city="Eilat"),
    Identity(customer_id=9, names=["אברהם שטיינברג"]),
    Identity(customer_id=10, names=["Gabrielle Thornbury"], city="Ballarat"),
    Identity(customer_id=11, names=["Gabriele Thornbery"], city="Ballarat"),
    Identity(customer_id=12, names=["Thornbury Gabrielle"], city="Ballarat"),
    Identity(customer_id=13, names=["Michael Thornbury"], city="Ballarat"),
    Identity(customer_id=14, names=["Дмитрий Соколов"]),
    Identity(customer_id=15, names=["Dmitry Sokolov"]),
    Identity(customer_id=16, names=["G. H."], handles={("forum", "garyh")}),
    Identity(customer_id=17, names=["Gary Holt"], handles={("twitter", "garyh")}),
    Identity(customer_id=18, names=["Olga Pavlova"], city="Kyiv"),
    Identity(customer_id=19, names=["Oleg Pavlov"], city="Kyiv"),
    Identity(customer_id=20, names=["Noa Cohen"], email_locals={"noa.cohen.tlv"}),
    Identity(customer_id=21, names=["נועה כהן"], email_locals={"noa.cohen.tlv"}),
]


def test_a_common_name_needs_a_second_piece_of_evidence_and_a_rare_one_may_stand_alone() -> None:
    everyone = _crowd() + PERSONAS
    frequencies = frequencies_of(everyone)
    by_id = {identity.customer_id: identity for identity in everyone}

    scores = {
        pair: pair_score(by_id[pair[0]], by_id[pair[1]], frequencies) for pair in candidate_pairs(everyone)
    }
    suggested = sorted(pair for pair, scored in scores.items() if scored.score >= SUGGEST_THRESHOLD)

    assert suggested == [
        (3, 4),  # a common name and one handle on two networks
        (5, 6),  # a rare name, one record without a city
        (5, 7),
        (6, 7),  # a rare name in two cities: people move, an agent takes a look
        (8, 9),  # a rare name across scripts
        (10, 11),  # typos, same city
        (10, 12),  # swapped, same city
        (11, 12),
        (14, 15),  # Cyrillic and Latin
        (16, 17),  # initials and a handle
        (20, 21),  # one e-mail local part
    ]
    # Not suggested: Dana Levi, who has ten namesakes here, in the same city as another Dana Levi
    # (1, 2); one family in one city (10, 13), (18, 19).
    assert scores[(1, 2)].score < 0.1
    assert scores[(1, 1000)].score == scores[(1, 2)].score  # a namesake from the crowd, the same
    assert [r["code"] for r in scores[(1, 2)].reasons] == ["name", "city"]
    assert (
        scores[(1, 2)].reasons[0]["text"] == "similar name: Dana Levi ~ Dana Levi (100%; a common name here)"
    )
    assert [r["text"] for r in scores[(3, 4)].reasons] == [
        "same handle dana_rides on instagram and twitter",
        "similar name: Dana Levi ~ Dana Levi (100%; a common name here)",
    ]
    assert [r["text"] for r in scores[(5, 6)].reasons] == [
        "similar name: Yehonatan Rosenzweig ~ Yehonatan Rosenzweig (100%; a rare name here)",
    ]
    assert [r["code"] for r in scores[(6, 7)].reasons] == ["name", "city_differs"]
    assert scores[(6, 7)].reasons[1]["text"] == "different city: Haifa / Eilat"
    assert scores[(6, 7)].score < scores[(5, 6)].score  # the other city counts against
    assert [r["text"] for r in scores[(10, 13)].reasons] == [
        "same city Ballarat",
        "part of the name agrees: thornbury (Gabrielle Thornbury / Michael Thornbury)",
    ]
    assert scores[(16, 17)].reasons[0]["text"] == "similar name: G. H. ~ Gary Holt (initials agree)"
    assert [r["code"] for r in scores[(8, 9)].reasons] == ["name_across_scripts"]
    # Evidence only ever adds up: the handle lifts the same names far above the city.
    assert scores[(3, 4)].score > scores[(1, 2)].score > scores[(1, 3)].score


def test_how_common_a_name_is_leaves_the_pair_compared_out() -> None:
    base = Frequencies(customers=1000, counts={"fw:levi": 2})
    # Only the two records compared carry it: no one else does, but a small base is never sure.
    assert base.share("fw:levi", 0.005, held=2) == (0 + 200 * 0.005) / 1200
    assert base.share("fw:levi", 0.005) == (2 + 200 * 0.005) / 1200
