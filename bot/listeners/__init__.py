"""Slack in: each listener reads the payload, calls one service and answers."""
