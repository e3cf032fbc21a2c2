"""Routes under /settings/ (``/settings/saved-replies/`` belongs to the saved-replies screens)."""

from django.urls import path

from . import channels, index, queries, rules, sla, teams

urlpatterns = [
    path("", index.settings_index, name="settings"),
    path("channels/", channels.channel_list, name="settings-channels"),
    path("channels/new/", channels.channel_edit, name="settings-channel-new"),
    path("channels/<int:channel_id>/", channels.channel_edit, name="settings-channel"),
    path("channels/<int:channel_id>/toggle", channels.channel_toggle, name="settings-channel-toggle"),
    path("channels/<int:channel_id>/test", channels.channel_test, name="settings-channel-test"),
    path(
        "channels/<int:channel_id>/dead-letters/<int:dead_letter_id>/replay",
        channels.channel_dead_letter_replay,
        name="settings-dead-letter-replay",
    ),
    path("teams/", teams.team_list, name="settings-teams"),
    path("teams/<int:team_id>/", teams.team_edit, name="settings-team"),
    path("teams/<int:team_id>/members", teams.member_add, name="settings-member-add"),
    path("teams/<int:team_id>/members/<int:membership_id>", teams.member_update, name="settings-member"),
    path("agents/<int:user_id>/", teams.agent_edit, name="settings-agent"),
    path("rules/", rules.rule_list, name="settings-rules"),
    path("rules/new/", rules.rule_edit, name="settings-rule-new"),
    path("rules/<int:rule_id>/", rules.rule_edit, name="settings-rule"),
    path("rules/<int:rule_id>/move", rules.rule_move, name="settings-rule-move"),
    path("rules/<int:rule_id>/delete", rules.rule_delete, name="settings-rule-delete"),
    path("sla/", sla.sla_list, name="settings-sla"),
    path("sla/new/", sla.sla_edit, name="settings-sla-new"),
    path("sla/<int:policy_id>/", sla.sla_edit, name="settings-sla-policy"),
    path("queries/", queries.query_list, name="settings-queries"),
    path("queries/new/", queries.query_edit, name="settings-query-new"),
    path("queries/<int:query_id>/", queries.query_edit, name="settings-query"),
]
