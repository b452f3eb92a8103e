"""Stand-in for pyslack: the module-level token and ``slack.chat`` (tests patch its function)."""

api_token = None
