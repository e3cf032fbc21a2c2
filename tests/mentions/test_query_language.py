"""The monitoring-query language: queries × messages in English, Hebrew, Russian and Ukrainian.

Each row is one query, one message and whether the message matches; the
false positives a listening team would complain about are rows too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from lara.analysis.services import analysis_correct, message_analyze
from lara.channels.query_syntax import (
    clauses,
    lucene,
    network_exact,
    plain_searches,
    query_matches,
    query_parse,
    twitter_query,
)
from lara.channels.schemas import inbound_parse
from lara.mentions.models import Message, MonitoringQuery
from lara.mentions.services import message_ingest, message_ingest_json

from ..factories import inbound

TABLE = [
    # --- English -------------------------------------------------------------------------------
    ("Volta", "Loving my new Volta!", True),
    ("Volta", "Time to revolt against slow deliveries", False),  # never inside a word
    ("Volta", "Volta's app crashed again", True),
    ("volta AND kick", "Kick scooter from Volta", True),
    ("volta kick", "Volta is great", False),  # implicit AND: both words
    ('"volta kick"', "my kick from volta", False),  # a phrase keeps its order
    ('"volta kick"', "The Volta Kick rocks", True),
    ("(volta OR kick) AND refund", "Kick refund please", True),
    ("(volta OR kick) AND refund", "volta kick is fun", False),
    ("volta NOT job", "Volta job offer", False),
    ("volta -(job OR hiring)", "Volta is hiring riders", False),
    ("volta -(job OR hiring)", "Volta rides well", True),
    ("volta NEAR/3 broken", "My Volta scooter is totally broken", True),  # 3 words between
    ("volta NEAR/2 broken", "My Volta scooter is totally broken", False),
    ("broken NEAR/2 volta", "Volta scooter broken", True),  # either order
    ('"customer service" NEAR/1 volta', "Volta customer service is slow", True),
    ("volta NEAR/3 volta", "Volta", False),  # one word is not two words near each other
    ("#voltakick", "Loving it #VoltaKick", True),
    ("#voltakick", "voltakick without the tag", False),
    ("@volta", "thanks @Volta for the fix", True),
    ("@volta", "thanks @volta_support", False),  # a handle is matched whole
    ("volta", "follow #Volta for news", True),  # a word finds its hashtag
    ("refund", "Two refunds, none arrived", True),
    ("refund", "The refurbished one is fine", False),
    ("app", "the apps keep crashing", True),  # a short word takes a plural ending
    ("app", "the application form", False),  # but is no prefix
    ("cafe", "Café Volta downtown", True),  # Latin accents are dropped
    ("e-bike", "my e bike arrived", True),  # a hyphenated word is a phrase
    ('"or"', "this or that", True),  # a quoted operator is a word
    # --- Hebrew --------------------------------------------------------------------------------
    ("וולטה", "קניתי בוולטה אופניים", True),  # the prefix letter ב
    ("וולטה", "וכשוולטה התקשרו סוף סוף", True),  # three prefix letters ו+כ+ש
    ("וולטה", "קניתי אופניים חשמליים", False),
    ("שירות", "השירות היה גרוע", True),
    ("שָׁלוֹם", "שלום לכולם", True),  # niqqud in the query
    ("שלום", "שָׁלוֹם לָכֶם", True),  # niqqud in the message
    ("שלום", "שָׁל֑וֹם", True),  # a cantillation mark too
    ('"שירות לקוחות"', "שירות הלקוחות של וולטה איטי", True),  # a phrase word keeps its prefixes
    ("וולטה NEAR/2 תקלה", "וולטה עם תקלה בבלמים", True),
    ("וולטה NEAR/2 תקלה", "וולטה שלחה לי אתמול בערב הודעה על תקלה", False),
    ("וולטה -משרה", "וולטה מחפשת עובדים, משרה מלאה", False),
    ('צה"ל', "חיילי צה״ל קיבלו הנחה", True),  # gershayim and a plain quote are one
    ("ספק", "הספקים שלנו איטיים", True),  # ה + a plural ending on a short word
    ("ספק", "ספקטרום רחב", False),
    ("#וולטה", "אוהבים את #וולטה", True),
    ("ארנק", "הארנקים החדשים", True),  # final ק/ן letters compared with their ordinary forms
    ("ירון", "ירונה הגיע", True),  # ן in the query, נ in the message
    # --- Russian -------------------------------------------------------------------------------
    ("вольт", "Купил Вольты вчера", True),  # a product name finds its declined forms
    ("вольт", "Купил револьвер", False),
    ("Вольта", "Доволен Вольтой", True),  # an inflected query finds the other forms by its stem
    ("Вольта", "Пишу про Вольту", True),
    ("Ёлка", "купили елку к празднику", True),  # ё is е; a 4-letter word by stem and ending
    ("вода", "водитель опоздал", False),  # a short stem needs a case ending, not any word
    ("ёж", "Ежи в лесу", True),
    ("кот", "котлета остыла", False),
    ("кот", "котов не пускают", True),
    ("вольт NEAR/2 сломался", "Сломался у меня вольт вчера", True),
    ("вольт -работа", "Вольт ищет: работа курьером", False),
    ("#вольт", "#Вольт лучший", True),
    ("Volta", "Вольта лучше всех", False),  # no transliteration between scripts
    ("volta OR вольта OR וולטה", "Вольта лучше всех", True),
    # --- Ukrainian -----------------------------------------------------------------------------
    ("самокат", "Мій самокат зламався", True),
    ("Вольта", "Дякую Вольті за сервіс", True),
    ("ремонт", "ремонту не буде", True),
    ("м'ясо", "Смачне м’ясо", True),  # the typographic apostrophe is an apostrophe
    ("сім'я", "для нашої сім’ї", True),
    ("їжа", "Їжу привезли холодною", True),  # ї keeps its dots; stem plus ending
    ("Вольта NEAR/3 доставка", "Доставка від Вольти дуже швидка", True),
    ("зарядка -швидка", "Повільна зарядка", True),
    ("зарядка -швидка", "швидка зарядка", False),
    ('"служба підтримки"', "Служба підтримки Вольти мовчить", True),
    ('"служба підтримки"', "підтримки служба", False),
    ("(Вольта OR Volta) NOT (вакансія OR job)", "Вольта: нова вакансія", False),
    ("(Вольта OR Volta) NOT (вакансія OR job)", "Вольта: новий магазин", True),
]


@pytest.mark.parametrize(("query", "text", "expected"), TABLE)
def test_queries_match_exactly_these_messages(query: str, text: str, expected: bool) -> None:
    assert query_matches(query, text) is expected


def test_the_table_covers_every_language_with_forty_rows_or_more() -> None:
    assert len(TABLE) >= 40
    scripts = {
        "hebrew": any("\u05d0" <= c <= "\u05ea" for q, t, _ in TABLE for c in q + t),
        "ukrainian": any(c in "їєґі" for q, t, _ in TABLE for c in q + t),
        "russian": any(c in "ыэъё" for q, t, _ in TABLE for c in (q + t).lower()),
    }
    assert scripts == {"hebrew": True, "ukrainian": True, "russian": True}


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", "the query is empty"),
        ("   ", "the query is empty"),
        ('volta "city', "the query has an unbalanced quote: 'volta \"city' (the quote at 7 is never closed)"),
        ("(volta OR kick", "unbalanced parenthesis at 1: it is never closed"),
        ("volta OR kick) refund", "unbalanced parenthesis at 14: nothing opened it"),
        ("volta NOT", "NOT needs a term after it at 7"),
        ("volta -", "nothing to search for in '-' at 7"),
        ("volta NEAR/x kick", "NEAR/n needs a number at 7: write e.g. NEAR/3"),
        ("volta NEAR kick", "NEAR/n needs a number at 7"),
        ("volta NEAR/99 kick", "NEAR/99 at 7 is too far apart; use at most NEAR/50"),
        ("(volta OR kick) NEAR/2 broken", "NEAR/2 at 17 joins two terms or phrases, not a group or NOT"),
        ("OR volta", "OR needs a term before it at 1"),
        ("volta AND", "AND needs a term after it at 7"),
        ("volta ()", "empty parentheses at 7"),
        ("-job", "a part of the query only excludes words; add a word to look for"),
        ("volta OR NOT job", "a part of the query only excludes words"),
    ],
)
def test_malformed_queries_say_what_and_where(query: str, error: str) -> None:
    with pytest.raises(ValueError) as caught:
        query_parse(query)
    assert str(caught.value).startswith(error)


def test_a_query_that_explodes_into_too_many_alternatives_is_refused() -> None:
    query = " ".join(f"(a{n} OR b{n})" for n in range(7))  # 2**7 = 128 network searches

    with pytest.raises(ValueError, match="too complex for the networks' searches"):
        query_parse(query)


def test_the_old_syntax_reads_as_before() -> None:
    assert clauses('volta kick -job OR "volta cargo"') == [
        (["volta", "kick"], ["job"]),
        (["volta cargo"], []),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # parentheses are expanded into alternatives
        ("(volta OR вольта) refund", [(["volta", "refund"], []), (["вольта", "refund"], [])]),
        # NOT of a group is pushed down (De Morgan)
        ("volta NOT (job OR hiring)", [(["volta"], ["job", "hiring"])]),
        ("volta NOT (job AND offer)", [(["volta"], ["job"]), (["volta"], ["offer"])]),
        # NEAR goes to the network as AND; a negated NEAR stays local only
        ("volta NEAR/3 broken", [(["volta", "broken"], [])]),
        ("volta NOT (job NEAR/2 offer)", [(["volta"], [])]),
        ("#voltakick OR @volta", [(["#voltakick"], []), (["@volta"], [])]),
    ],
)
def test_networks_get_a_disjunctive_normal_form(query: str, expected: list[Any]) -> None:
    assert clauses(query) == expected


def test_network_translations() -> None:
    query = '(volta OR вольта) NOT (job OR hiring) "kick scooter" NEAR/3 brake'

    assert lucene("(volta OR вольта) -job") == "(volta NOT job) OR (вольта NOT job)"
    assert twitter_query(query) == '(volta OR вольта) -(job OR hiring) "kick scooter" brake'
    assert twitter_query("volta AND kick OR refund") == "volta kick OR refund"
    assert plain_searches('volta -job OR "volta cargo"') == ["volta", '"volta cargo"']
    assert (network_exact("volta OR kick -job"), network_exact(query)) == (True, False)


# --- filters through ingest and analysis ---------------------------------------------------------


def _ingest(text: str, channel: str = "x") -> Message:
    result = message_ingest_json(data=inbound(text=text, channel=channel))
    return Message.objects.get(pk=result.message_id)


def _names(message: Message) -> list[str]:
    return sorted(message.queries.values_list("name", flat=True))


def test_a_language_filter_waits_for_the_analysis(org: dict[str, Any]) -> None:
    MonitoringQuery.objects.create(name="Any language", query="volta OR вольта OR וולטה")
    MonitoringQuery.objects.create(name="Russian brand", query="вольта", languages=["ru"])
    MonitoringQuery.objects.create(name="Hebrew brand", query="וולטה", languages=["he"], kind="brand")

    russian = _ingest("Доволен Вольтой, спасибо")
    hebrew = _ingest("קניתי בוולטה אופניים")

    assert (_names(russian), _names(hebrew)) == (["Any language"], ["Any language"])

    message_analyze(message_id=russian.pk)
    message_analyze(message_id=hebrew.pk)

    assert _names(russian) == ["Any language", "Russian brand"]
    assert _names(hebrew) == ["Any language", "Hebrew brand"]


def test_an_agents_language_correction_applies_that_languages_queries(org: dict[str, Any]) -> None:
    MonitoringQuery.objects.create(name="Ukrainian brand", query="вольта", languages=["uk"])
    message = _ingest("Вольта супер")  # the fake analyzer reads this as Russian
    message_analyze(message_id=message.pk)
    assert _names(message) == []

    analysis_correct(message_id=message.pk, field="language", value="uk", user=org["lena"])

    assert _names(message) == ["Ukrainian brand"]


def test_a_channel_filter_matches_only_messages_from_those_channels(org: dict[str, Any]) -> None:
    on_x = MonitoringQuery.objects.create(name="Volta on X", query="volta", kind="competitor")
    on_x.channels.set([org["x"]])
    MonitoringQuery.objects.create(name="Volta anywhere", query="volta", kind="topic")
    by_mail = MonitoringQuery.objects.create(name="Volta by mail, Hebrew", query="volta", languages=["he"])
    by_mail.channels.set([org["email"]])

    tweet = _ingest("Volta rocks")
    api = _ingest("Volta rocks", channel="api")
    message_analyze(message_id=tweet.pk)
    message_analyze(message_id=api.pk)

    assert _names(tweet) == ["Volta anywhere", "Volta on X"]
    assert _names(api) == ["Volta anywhere"]


def test_a_query_the_networks_search_found_is_kept_whatever_the_text(org: dict[str, Any]) -> None:
    searched = MonitoringQuery.objects.create(name="Searched", query="вольта", languages=["ru"])

    found = replace(inbound_parse(inbound(text="nothing to see")), query_ids=(searched.pk,))
    result = message_ingest(message=found)

    assert _names(Message.objects.get(pk=result.message_id)) == ["Searched"]
