"""Reddit: username mentions, searches and watched subreddits in; comment replies out."""
