"""X / Twitter: mentions and searches polled through API v2, Account Activity webhooks, replies and DMs."""
