"""Review sites: Google Business Profile, Trustpilot, Yelp, and a CSV/JSON import for any other."""
