"""Hold customers and their profiles on each network (Relate)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class CustomerStatus(models.TextChoices):
    LEAD = "lead", "Lead"
    ACTIVE = "active", "Active"
    CHURNED = "churned", "Churned"
    UNKNOWN = "unknown", "Unknown"


class Customer(models.Model):
    """One person, whatever networks they write from, with the company's CRM data."""

    name = models.CharField(max_length=300, blank=True)
    emails = models.JSONField(default=list, blank=True)
    phones = models.JSONField(default=list, blank=True)
    external_crm_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.UNKNOWN)
    tier = models.CharField(max_length=30, blank=True)
    lifetime_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    company = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=120, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_contact_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_contact_at", "-pk"]

    def __str__(self) -> str:
        return self.name or f"customer {self.pk}"

    @property
    def is_vip(self) -> bool:
        return self.tier.lower() in {"gold", "platinum", "vip"}


class SocialProfile(models.Model):
    """A customer's identity on one network, as the network describes it."""

    network = models.CharField(max_length=20)
    external_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200, blank=True)
    display_name = models.CharField(max_length=300, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="profiles")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "external_id"], name="profile_unique_network_id")
        ]

    def __str__(self) -> str:
        return f"{self.handle or self.display_name} on {self.network}"
