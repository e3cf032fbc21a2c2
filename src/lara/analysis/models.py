"""Store what the analyzer concluded about each message, with the model version."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lara.mentions.models import Message


class Analysis(models.Model):
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="analysis")
    language = models.CharField(max_length=8)
    language_confidence = models.FloatField(default=0)
    sentiment = models.CharField(max_length=10)
    sentiment_score = models.FloatField()
    type = models.CharField(max_length=12)
    type_scores = models.JSONField(default=dict)
    purchase_intent = models.BooleanField(default=False)
    purchase_intent_score = models.FloatField(default=0)
    topics = models.JSONField(default=list)
    entities = models.JSONField(default=list)
    urgency = models.CharField(max_length=10, default="normal")
    urgency_reasons = models.JSONField(default=list)
    impact = models.FloatField(default=0)
    priority = models.CharField(max_length=2, default="P4")
    priority_reason = models.CharField(max_length=300, blank=True)
    action_required = models.BooleanField(default=False)
    model_version = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["type", "sentiment"], name="analysis_type_sentiment")]

    def __str__(self) -> str:
        return f"{self.type}/{self.sentiment} for message {self.message_id}"


class CorrectionField(models.TextChoices):
    SENTIMENT = "sentiment"
    TYPE = "type"
    PURCHASE_INTENT = "purchase_intent"
    LANGUAGE = "language"


class LabelCorrection(models.Model):
    """Record one agent's correction of an analysis label, with who made it and what it was.

    The rows are the paper trail and the training data at once: ``lara
    export-corrections`` turns the latest correction per message and field
    into rows that ``lara train --corrections`` learns from.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="label_corrections")
    field = models.CharField(max_length=20, choices=CorrectionField.choices)
    old_value = models.CharField(max_length=20, blank=True)
    new_value = models.CharField(max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="label_corrections"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["message", "field", "created_at"], name="correction_message_field")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value} on message {self.message_id}"
