"""The settings screens for team leads and admins: channels, teams, routing, SLA, queries.

Leads tune how work flows (routing rules, SLA policies, monitoring queries,
their agents' presence); only admins touch what grants access (channel
credentials, teams and roles) or shows raw network payloads (dead letters).
Agents get 403 everywhere here. Every save writes a SettingsChange row.
"""
