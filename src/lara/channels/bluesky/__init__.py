"""Bluesky: mentions, replies and searches polled over XRPC with the atproto SDK; replies posted in thread."""
