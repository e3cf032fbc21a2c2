"""Render the rows of the inbox table: the one piece of HTML built in Python, for speed.

The inbox is the screen every agent reloads all day, and its 50 rows cost
more CPU than the queries behind them: five model instances per row (case,
team, assignee, channel, customer), then per row two ``{% url %}``, four
``{% translate %}``, a ``{% blocktranslate %}``, two ``date`` filters,
``naturaltime`` and some twenty variables, each escaped and localized by the
template engine. Here a row is read as plain column values, the labels that
repeat (status, priority, network, team) are translated and escaped once per
page, the links come from one reversed prefix, and each row is one string
format. The output is byte for byte what the template tags printed; the
header and the rest of the table stay in ``_inbox_rows.html``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs
from django.utils.translation import gettext

from lara.cases.models import Case
from lara.channels.models import Channel

#: The columns one inbox row needs (``values()`` names), nothing more.
ROW_FIELDS = (
    "pk",
    "reference",
    "priority",
    "status",
    "language",
    "subject",
    "updated_at",
    "customer_id",
    "customer__name",
    "channel__network",
    "team_id",
    "team__name",
    "assignee__username",
)

#: One row; every value is escaped before it goes in (the columns match the
#: header in ``_inbox_rows.html``).
ROW_HTML = (
    '<tr class="prio-{priority}" data-reference="{reference}">\n'
    '      <td><input type="checkbox" class="bulk-pick" name="case" value="{pk}" form="bulk-form"'
    ' aria-label="{check}"></td>\n'
    '      <td><a class="case-link" href="{url}" dir="ltr">{reference}</a></td>\n'
    '      <td><span class="chip prio" title="{priority_label}">{priority}</span></td>\n'
    '      <td><span class="net net-{network}">{network_label}</span></td>\n'
    '      <td dir="auto"><a href="{customer_url}">{customer}</a></td>\n'
    '      <td dir="auto" class="subject">{subject}</td>\n'
    "      <td>{language}</td>\n"
    "      <td>{team}</td>\n"
    "      <td>{assignee}</td>\n"
    '      <td><span class="chip status-{status}">{status_label}</span></td>\n'
    '      <td><time datetime="{updated_iso}" title="{updated_title}">{updated_natural}</time></td>\n'
    "    </tr>"
)

#: Path arguments that ``reverse()`` would put in the URL unchanged (no quoting).
_PLAIN_ARGUMENT = re.compile(r"[A-Za-z0-9_-]+")
#: Stands in for the argument while reversing; digits fit both ``<str:…>`` and ``<int:…>``.
_MARK = "9081726354"


def _link_builder(name: str) -> Callable[[Any], str]:
    """``reverse(name, args=[value])`` for one argument, reversing once per page.

    Values that quoting would change (or that the URL pattern might refuse)
    still go through ``reverse()``, so the result is always the same.
    """
    head, _mark, tail = reverse(name, args=[_MARK]).rpartition(_MARK)

    def link(value: Any) -> str:
        text = str(value)
        if _PLAIN_ARGUMENT.fullmatch(text):
            return f"{head}{text}{tail}"
        return reverse(name, args=[value])

    return link


def _translate(text: str) -> str:
    """What ``{% translate variable %}`` prints (before escaping): percent signs survive."""
    return gettext(text.replace("%", "%%")).replace("%%", "%")


class _Labels:
    """Translated, escaped choice labels and team names, looked up once per distinct value."""

    def __init__(self) -> None:
        self._choices = {
            "priority": dict(Case._meta.get_field("priority").flatchoices),
            "status": dict(Case._meta.get_field("status").flatchoices),
            "network": dict(Channel._meta.get_field("network").flatchoices),
        }
        self._seen: dict[tuple[str, str], str] = {}

    def choice(self, field: str, value: str) -> str:
        """``{% translate case.get_FIELD_display %}``."""
        key = (field, value)
        if key not in self._seen:
            self._seen[key] = escape(_translate(force_str(self._choices[field].get(value, value))))
        return self._seen[key]

    def team(self, name: str) -> str:
        """``{% translate case.team.name %}``."""
        key = ("team", name)
        if key not in self._seen:
            self._seen[key] = escape(_translate(name))
        return self._seen[key]


def customer_label(pk: int, name: str) -> str:
    """``str(customer)`` from two columns, without building the model (a test keeps them equal)."""
    return name or f"customer {pk}"


def inbox_rows(values: Iterable[dict[str, Any]]) -> list[SafeString]:
    """The ``<tr>`` of each ``values(*ROW_FIELDS)`` row, in order, for ``_inbox_rows.html`` to print."""
    labels = _Labels()
    case_link = _link_builder("case")
    customer_link = _link_builder("customer")
    # Like {% blocktranslate %}Check {{ ref }}{% endblocktranslate %}: translation as is, reference escaped.
    check = gettext("Check %(ref)s")
    unassigned = gettext("unassigned")
    rows = []
    for row in values:
        updated = row["updated_at"]
        local = template_localtime(updated)
        reference = escape(str(row["reference"]))
        html = ROW_HTML.format(
            pk=row["pk"],
            reference=reference,
            check=check % {"ref": reference},
            url=escape(case_link(row["reference"])),
            priority=escape(row["priority"]),
            priority_label=labels.choice("priority", row["priority"]),
            network=escape(row["channel__network"]),
            network_label=labels.choice("network", row["channel__network"]),
            customer=escape(customer_label(row["customer_id"], row["customer__name"])),
            customer_url=escape(customer_link(row["customer_id"])),
            subject=escape(Truncator(row["subject"]).chars(90)),
            language=escape(row["language"]),
            team="—" if row["team_id"] is None else labels.team(row["team__name"]),
            assignee=escape(row["assignee__username"] or unassigned),
            status=escape(row["status"]),
            status_label=labels.choice("status", row["status"]),
            updated_iso=escape(date_filter(local, "c")),
            updated_title=escape(date_filter(local, "DATETIME_FORMAT")),
            updated_natural=escape(naturaltime(updated)),
        )
        rows.append(mark_safe(html))  # noqa: S308 - every value above is escaped
    return rows
