"""Hold the people, teams, access tokens and the durable job queue.

Everything here is shared by every other app, so it imports none of them.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    LEAD = "lead", "Team lead"
    ADMIN = "admin", "Admin"


ROLE_RANK = {Role.AGENT: 1, Role.LEAD: 2, Role.ADMIN: 3}


class Team(models.Model):
    """A group that owns a queue of cases (Customer service, PR, Sales…)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """Say what an agent can take: languages, skills, capacity, presence."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    languages = models.JSONField(default=list, blank=True)
    skills = models.JSONField(default=list, blank=True)
    capacity = models.PositiveIntegerField(default=20)
    is_away = models.BooleanField(default=False)
    ui_language = models.CharField(max_length=8, default="en")
    time_zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"profile of {self.user}"


class Membership(models.Model):
    """Place a user in a team with a role; the highest role wins app-wide."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_unique_team_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.role}"


class ApiToken(models.Model):
    """Authenticate API clients; only a hash of the token is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, default="cli")
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    @staticmethod
    def generate() -> str:
        return "lara_" + secrets.token_urlsafe(32)


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(models.Model):
    """Record a unit of background work before anything runs it.

    The row is written in the same transaction as the data it is about, so a
    crash after commit can never lose the work: embedded worker threads claim
    queued rows, Celery workers in the scaled mode run the same rows by id,
    and a periodic sweep re-queues rows whose lease ran out.
    """

    task = models.CharField(max_length=120)
    args = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    run_after = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_after"], name="job_status_run_after")]

    def __str__(self) -> str:
        return f"job {self.pk} {self.task}{tuple(self.args)} {self.status}"


class Notification(models.Model):
    """Tell one person something in the app (a reminder, an SLA breach) until they read it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"to {self.user}: {self.text[:40]}"


class SettingsChange(models.Model):
    """Record who changed which setting, when, and the values before and after.

    Settings screens (channels, teams, routing rules, SLA policies, queries)
    write one row per save; secrets never enter ``before``/``after`` (a
    credential shows as "set" / "not set"), so the log itself leaks nothing.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["area", "-created_at"], name="settingschange_area")]

    def __str__(self) -> str:
        return f"{self.area} {self.action} {self.object_repr} by {self.actor}"
