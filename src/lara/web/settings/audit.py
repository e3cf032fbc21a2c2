"""Take JSON snapshots of settings rows for the SettingsChange log (secrets reduced to set / not set)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from lara.core.audit import settings_change_record


def snapshot(obj: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields as JSON-safe values; foreign keys as their id, many-to-many as sorted ids."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            data[name] = sorted(getattr(obj, name).values_list("pk", flat=True)) if obj.pk else []
        elif field.is_relation:
            data[name] = getattr(obj, f"{name}_id")
        else:
            value = getattr(obj, name)
            data[name] = (
                value if isinstance(value, (str, int, float, bool, list, dict, type(None))) else str(value)
            )
    return data


def secrets_shape(credentials: dict[str, Any]) -> dict[str, str]:
    """Which secrets are stored, never what they are."""
    return {key: "set" for key, value in sorted(credentials.items()) if value}


def audited_form_view(
    request: HttpRequest,
    *,
    instance: models.Model,
    form_class: type[forms.ModelForm],
    fields: tuple[str, ...],
    area: str,
    saved_message: str,
    done_url: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Show a settings form; on a valid POST save it, log the change (before/after) and go back."""
    before = snapshot(instance, fields) if instance.pk else {}
    form = form_class(request.POST if request.method == "POST" else None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        settings_change_record(
            actor=request.user,
            area=area,
            action="update" if before else "create",
            obj=saved,
            before=before,
            after=snapshot(saved, fields),
        )
        flash.success(request, saved_message)
        return redirect(done_url)
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, **context}, status=status)
