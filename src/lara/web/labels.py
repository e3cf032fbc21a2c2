"""Name the labels the templates translate at render time, so makemessages finds them.

Choice labels, analysis values and the default team names live in other apps
as plain English; the templates pass them through ``{% translate value %}``.
Listing them here with gettext_noop puts them in the catalogues without
touching those apps; a label missing here simply shows in English.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

CASE_STATUSES = (_("New"), _("Open"), _("Pending"), _("Resolved"), _("Closed"))
PRIORITIES = (_("P1 urgent"), _("P2 high"), _("P3 normal"), _("P4 low"))
REPLY_STATUSES = (_("Queued"), _("Sent"), _("Failed"))
CUSTOMER_STATUSES = (_("Lead"), _("Active"), _("Churned"), _("Unknown"))
NETWORKS = (
    _("API"),
    _("JSON webhook"),
    _("X / Twitter"),
    _("Facebook"),
    _("Instagram"),
    _("WhatsApp"),
    _("Telegram"),
    _("Reddit"),
    _("Mastodon"),
    _("Bluesky"),
    _("Review site"),
    _("Forum / blog feed"),
    _("Discourse forum"),
    _("Email"),
    _("Web chat"),
)
EVENT_KINDS = (
    _("Created"),
    _("Message In"),
    _("Message Out"),
    _("Routed"),
    _("Assigned"),
    _("Status"),
    _("Priority"),
    _("Note"),
    _("Reply Queued"),
    _("Reply Failed"),
    _("Unassigned"),
    _("Sla Warning"),
    _("Sla Breached"),
    _("Task Created"),
    _("Task Done"),
)
MESSAGE_KINDS = (_("post"), _("comment"), _("reply"), _("direct"), _("review"), _("email"), _("chat"))
SENTIMENTS = (_("negative"), _("neutral"), _("positive"))
MESSAGE_TYPES = (_("question"), _("complaint"), _("compliment"), _("suggestion"), _("other"))
URGENCIES = (_("low"), _("normal"), _("high"), _("critical"))
TEAMS = (_("Customer service"), _("PR"), _("Marketing"), _("Sales"), _("Product"))
