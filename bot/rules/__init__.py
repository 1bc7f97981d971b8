"""Pure domain rules: decks, schedule maths, who sees what, summaries, themes. No Slack, no SQLite, no clock."""
