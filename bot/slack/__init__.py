"""Slack transport: the Bolt app and its listeners, Block Kit, the HTTP server and the Web API client."""
