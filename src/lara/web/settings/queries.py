"""Monitoring queries: validated with the same parser ingest uses, with last week's counts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lara.channels.models import Channel
from lara.mentions.models import MonitoringQuery
from lara.mentions.queries import query_parse

from .access import lead_or_admin
from .audit import audited_form_view

CODE = re.compile(r"^[a-z]{2}$")
QUERY_FIELDS = ("name", "kind", "query", "languages", "channels", "enabled")


class QueryForm(forms.ModelForm):
    languages = forms.CharField(
        label=gettext_lazy("Languages (ISO codes, comma-separated; empty = any)"),
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    channels = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Run on channels"),
        queryset=Channel.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = MonitoringQuery
        fields = ["name", "kind", "query", "channels", "enabled"]
        labels = {
            "name": gettext_lazy("Name"),
            "kind": gettext_lazy("Watches"),
            "query": gettext_lazy("Query"),
            "enabled": gettext_lazy("Enabled"),
        }
        help_texts = {
            "query": gettext_lazy(
                "Words must all appear (or join with AND); OR, NOT or -word, (parentheses), "
                '"exact phrases", a NEAR/3 b, #hashtag, @handle. See docs/monitoring-queries.md.'
            )
        }
        widgets = {
            "name": forms.TextInput(attrs={"dir": "auto"}),
            "query": forms.TextInput(attrs={"dir": "auto"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Older clients post no kind: the query then watches the brand, the model's default.
        self.fields["kind"].required = False
        if self.instance.pk:
            self.initial["languages"] = ", ".join(self.instance.languages)

    def clean_kind(self) -> str:
        return str(self.cleaned_data.get("kind") or MonitoringQuery.Kind.BRAND)

    def clean_query(self) -> str:
        query = str(self.cleaned_data["query"]).strip()
        try:
            query_parse(query)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return query

    def clean_languages(self) -> list[str]:
        codes = [
            c.strip().lower() for c in (self.cleaned_data.get("languages") or "").split(",") if c.strip()
        ]
        bad = [c for c in codes if not CODE.match(c)]
        if bad:
            raise forms.ValidationError(
                _("Not a two-letter language code: %(codes)s") % {"codes": ", ".join(bad)}
            )
        return list(dict.fromkeys(codes))

    def save(self, commit: bool = True) -> MonitoringQuery:
        self.instance.languages = self.cleaned_data["languages"]
        query: MonitoringQuery = super().save(commit=commit)
        return query


@lead_or_admin
def query_list(request: HttpRequest) -> HttpResponse:
    since = timezone.now() - timedelta(days=7)
    queries = (
        MonitoringQuery.objects.prefetch_related("channels")
        .annotate(week=Count("messages", filter=Q(messages__created_at__gte=since)))
        .order_by("name")
    )
    return render(request, "lara/settings/queries.html", {"queries": queries})


@lead_or_admin
def query_edit(request: HttpRequest, query_id: int | None = None) -> HttpResponse:
    query = get_object_or_404(MonitoringQuery, pk=query_id) if query_id is not None else MonitoringQuery()
    return audited_form_view(
        request,
        instance=query,
        form_class=QueryForm,
        fields=QUERY_FIELDS,
        area="monitoring_query",
        saved_message=_("Query saved."),
        done_url="settings-queries",
        template="lara/settings/query.html",
        context={"query": query},
    )
