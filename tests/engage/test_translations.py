"""The survey page and the customer page's engagement section in Hebrew, Russian and Ukrainian."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from lara.customers.models import Customer
from lara.engage.models import Survey, SurveyLink
from lara.engage.surveys import survey_create, survey_link_create, survey_token
from lara.web.engagement import customer_engagement_context

#: Per language: the page's <html> tag, its title, the comment label, the button,
#: the out-of-scale error (CSAT, 1–5), the thanks and the "already used" notice.
PAGES = {
    "he": (
        '<html lang="he" dir="rtl">',
        "<h1>חוות הדעת שלך</h1>",
        "יש עוד משהו להוסיף? (לא חובה)",
        "שליחת התשובה",
        "יש לבחור ציון מ־1 עד 5.",
        "תודה! התשובה שלך נשמרה.",
        "כבר נעשה שימוש בקישור לסקר הזה.",
    ),
    "ru": (
        '<html lang="ru" dir="ltr">',
        "<h1>Ваше мнение</h1>",
        "Хотите что-нибудь добавить? (необязательно)",
        "Отправить ответ",
        "Выберите оценку от 1 до 5.",
        "Спасибо! Ваш ответ сохранён.",
        "Эта ссылка на опрос уже использована.",
    ),
    "uk": (
        '<html lang="uk" dir="ltr">',
        "<h1>Ваша думка</h1>",
        "Хочете щось додати? (необов'язково)",
        "Надіслати відповідь",
        "Виберіть оцінку від 1 до 5.",
        "Дякуємо! Вашу відповідь збережено.",
        "Це посилання на опитування вже використано.",
    ),
}


def _survey() -> Survey:
    return survey_create(name="After the case", question="How happy are you with our answer?", scale="csat")


def _link(language: str) -> tuple[SurveyLink, str]:
    link = survey_link_create(
        survey=_survey(),
        customer=Customer.objects.create(name="Dana"),
        case_ref=None,
        language=language,
        actor=None,
    )
    return link, f"/survey/{survey_token(link)}/"


@pytest.mark.parametrize("language", ["he", "ru", "uk"])
def test_the_survey_page_speaks_the_links_language(org: dict[str, Any], language: str) -> None:
    html_tag, title, label, button, error, thanks, used = PAGES[language]
    _link_row, path = _link(language)
    visitor = Client()

    page = visitor.get(path).content.decode()
    out_of_scale = visitor.post(path, {"score": "6"}).content.decode()
    done = visitor.post(path, {"score": "4"}).content.decode()
    again = visitor.get(path).content.decode()

    assert html_tag in page
    assert (title in page, label in page, button in page) == (True, True, True)
    assert "Your opinion" not in page
    assert error in out_of_scale
    assert thanks in done
    assert used in again


def test_the_links_language_wins_over_the_browsers(org: dict[str, Any]) -> None:
    _link_row, path = _link("uk")

    page = Client().get(path, headers={"accept-language": "he"}).content.decode()

    assert '<html lang="uk" dir="ltr">' in page
    assert "<h1>Ваша думка</h1>" in page


def test_a_forged_or_expired_link_says_so_in_the_asked_language(org: dict[str, Any]) -> None:
    link, path = _link("ru")
    SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    forged = Client().get("/survey/made-up/?lang=he")
    expired = Client().get(path)

    assert forged.status_code == 404
    assert '<html lang="he" dir="rtl">' in forged.content.decode()
    assert "הקישור לסקר אינו תקף." in forged.content.decode()
    assert expired.status_code == 410
    assert "Срок действия ссылки на опрос истёк." in expired.content.decode()


@pytest.mark.parametrize(
    ("language", "heading", "empty"),
    [
        ("he", "סקרים, רעיונות והצעות", "עדיין אין תשובות לסקרים, הצבעות או הצעות."),
        ("ru", "Опросы, идеи и предложения", "Пока нет ответов на опросы, голосов и предложений."),
        (
            "uk",
            "Опитування, ідеї та пропозиції",
            "Поки що немає відповідей на опитування, голосів і пропозицій.",
        ),
    ],
)
def test_the_engagement_section_is_translated(
    org: dict[str, Any], language: str, heading: str, empty: str
) -> None:
    context = customer_engagement_context(Customer.objects.create(name="Noa"))

    with translation.override(language):
        html = render_to_string("lara/_customer_engagement.html", context)

    assert f'<h2 id="engagement-title">{heading}</h2>' in html
    assert empty in html
