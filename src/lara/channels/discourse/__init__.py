"""Discourse forums: new posts and searches in; replies in the topic with an API key."""
