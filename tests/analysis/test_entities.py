"""Find catalogue entities in inflected Hebrew, Russian, Ukrainian and English, and report them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lara.analysis.engine import Catalogue, analyze, default_catalogue, get_analyzer
from lara.analysis.engine.entities import CatalogueEntry


def _names(text: str) -> list[tuple[str, str]]:
    return [(e["name"], e["text"]) for e in default_catalogue().find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Купил Вольту, а не Пределикс", [("Volta", "Вольту"), ("Pedalix", "Пределикс")]),
        ("Вольты лучше", [("Volta", "Вольты")]),
        ("Вольти кращі за Пределікс", [("Volta", "Вольти"), ("Pedalix", "Пределікс")]),
        ("порівнював з Пределіксом", [("Pedalix", "Пределіксом")]),
        ("Катаюсь на Вольте Сити", [("Volta City", "Вольте Сити")]),
        ("Скільки коштує Volta Cargo?", [("Volta Cargo", "Volta Cargo")]),
        ("ובוולטה יש בעיה", [("Volta", "ובוולטה")]),
        ("קניתי את הוולטה סיטי", [("Volta City", "הוולטה סיטי")]),
        ("שהפדליקס יותר טוב", [("Pedalix", "שהפדליקס")]),
        ("אני רוצה ב-Volta Trail", [("Volta Trail", "ב-Volta Trail")]),
        ("My Volta’s brakes", [("Volta", "Volta’s")]),
        ("Two Volta Kicks for the kids", [("Volta Kick", "Volta Kicks")]),
        ("urbanglide or Urban Glide", [("UrbanGlide", "urbanglide")]),
    ],
)
def test_inflected_mentions_are_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert _names(text) == expected


@pytest.mark.parametrize(
    "text", ["Нужно 220 вольт", "Revoltage is a band", "Voltage drop", "a pedal is loose", ""]
)
def test_look_alike_words_are_not_entities(text: str) -> None:
    assert _names(text) == []


def test_a_product_outranks_its_brand_and_kinds_are_kept() -> None:
    found = default_catalogue().find("The Volta City beats the UrbanGlide, Volta rocks")
    assert found == (
        {"name": "Volta City", "kind": "product", "text": "Volta City"},
        {"name": "UrbanGlide", "kind": "competitor", "text": "UrbanGlide"},
        {"name": "Volta", "kind": "brand", "text": "Volta"},
    )


def test_catalogue_round_trips_through_json_and_rejects_unknown_kinds(tmp_path: Path) -> None:
    path = tmp_path / "cat.json"
    path.write_text(
        json.dumps({"entries": [{"name": "Acme Phone", "kind": "product", "aliases": ["Акме"]}]}),
        encoding="utf-8",
    )
    cat = Catalogue.from_json(path)
    assert cat.entries == (CatalogueEntry("Acme Phone", "product", ("Acme Phone", "Акме")),)
    assert Catalogue.from_dict(cat.to_dict()) == cat
    assert [e["text"] for e in cat.find("Хочу Акме и acme phones")] == ["Акме"]
    with pytest.raises(ValueError, match="kind must be one of"):
        CatalogueEntry("X", "supplier", ("X",))


def test_analyze_returns_entities_and_reasons_with_any_catalogue() -> None:
    (default,) = analyze(["Where can I buy the Volta Cargo? Or should I get a Pedalix?"])
    (own,) = analyze(
        ["Where can I buy the Volta Cargo?"],
        catalogue=Catalogue((CatalogueEntry("Cargo", "product", ("Cargo",)),)),
    )

    assert default.entities == (
        {"name": "Volta Cargo", "kind": "product", "text": "Volta Cargo"},
        {"name": "Pedalix", "kind": "competitor", "text": "Pedalix"},
    )
    assert default.reasons == (
        "purchase cue: where can i buy",
        "purchase cue: should i get",
        "competitor: Pedalix",
    )
    assert default.as_dict()["entities"][1] == {"name": "Pedalix", "kind": "competitor", "text": "Pedalix"}
    assert default.as_dict()["reasons"][0] == "purchase cue: where can i buy"
    assert own.entities == ({"name": "Cargo", "kind": "product", "text": "Cargo"},)
    assert get_analyzer(Catalogue()).model is get_analyzer().model


def test_reasons_start_with_the_urgency_reasons() -> None:
    (result,) = analyze(["My Volta brakes failed, I could have died"])
    assert result.urgency_reasons == ("safety: brakes failed", "safety: could have died")
    assert result.reasons == result.urgency_reasons
    assert result.entities == ({"name": "Volta", "kind": "brand", "text": "Volta"},)
