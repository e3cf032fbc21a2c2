"""The web chat channel: visitors write from a widget on the brand's own site."""
