"""hvis: a Slack bot for "Tænk nu, hvis…" co-creation theme days."""

__version__ = "0.1.0"
