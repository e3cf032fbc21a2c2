"""Hold what a customer answered, asked for and was offered: surveys, ideas and votes, offers.

This app sits between cases and analysis in the layers: the cases app moves
these rows when it merges customers and exports them on a data-subject
request, so it may import this app, never the reverse. A survey answer names
its case by a plain id (``case_ref``), as ``ConsentLink`` does, for the same
reason: cases live in a higher layer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lara.customers.models import Customer, Segment


class SurveyScale(models.TextChoices):
    CSAT = "csat", "CSAT (1–5)"
    NPS = "nps", "NPS (0–10)"


#: The lowest and highest score of each scale, inclusive.
SCALE_RANGE = {SurveyScale.CSAT: (1, 5), SurveyScale.NPS: (0, 10)}


class Survey(models.Model):
    """One question the company asks customers, with its answer scale."""

    name = models.CharField(max_length=120)
    question = models.CharField(max_length=500)
    translations = models.JSONField(
        default=dict, blank=True, help_text='the question in other languages, e.g. {"he": "…"}'
    )
    scale = models.CharField(max_length=4, choices=SurveyScale.choices, default=SurveyScale.CSAT)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.scale})"

    def question_in(self, language: str) -> str:
        """The question in ``language`` when it was written in it, else as written."""
        text = self.translations.get(language) if isinstance(self.translations, dict) else None
        return text if isinstance(text, str) and text.strip() else self.question


class SurveyLink(models.Model):
    """A one-time survey link sent to a customer, optionally about a case.

    The token in the URL is a signature of this row's id; the row makes the
    link one-time (``used_at``) and expiring (``expires_at``).
    """

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="survey_links")
    case_ref = models.PositiveIntegerField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"survey link {self.pk} for customer {self.customer_id}"


class SurveyAnswer(models.Model):
    """One customer's score (and comment) for a survey; erasure blanks the comment, keeps the score."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="answers")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="survey_answers")
    case_ref = models.PositiveIntegerField(null=True, blank=True)
    link = models.OneToOneField(
        SurveyLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="answer"
    )
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-pk"]
        indexes = [models.Index(fields=["customer", "answered_at"], name="surveyanswer_customer_at")]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.score} from customer {self.customer_id}"


class IdeaStatus(models.TextChoices):
    NEW = "new", _("New")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


class Idea(models.Model):
    """Something customers ask the company to make or change; votes say how many want it."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=11, choices=IdeaStatus.choices, default=IdeaStatus.NEW)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    source_message = models.ForeignKey(
        "mentions.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class IdeaVote(models.Model):
    """One customer's vote for an idea (one per customer and idea), perhaps taken from a message."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="idea_votes")
    message = models.ForeignKey(
        "mentions.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["idea", "customer"], name="ideavote_unique_customer")]
        indexes = [models.Index(fields=["customer", "created_at"], name="ideavote_customer_at")]

    def __str__(self) -> str:
        return f"customer {self.customer_id} votes for idea {self.idea_id}"


class Offer(models.Model):
    """Something offered to the customers of a segment for a while."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="offers"
    )
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class OfferStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class OfferSent(models.Model):
    """An offer made to one customer (once per offer and customer) and their answer."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="sent")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="offers_sent")
    status = models.CharField(max_length=8, choices=OfferStatus.choices, default=OfferStatus.SENT)
    sent_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "customer"], name="offersent_unique_customer")
        ]
        indexes = [models.Index(fields=["customer", "sent_at"], name="offersent_customer_at")]

    def __str__(self) -> str:
        return f"offer {self.offer_id} to customer {self.customer_id} ({self.status})"


class EngageEvent(models.Model):
    """One line of the engagement trail: who sent, answered, voted or responded, when.

    The customers' audit trail takes a fixed list of actions; these have their
    own rows, with ``customer_ref`` outliving the customer row like there.
    """

    action = models.CharField(max_length=24)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="engage_events"
    )
    customer_ref = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} customer {self.customer_ref}"
