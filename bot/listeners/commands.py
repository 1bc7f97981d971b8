"""The /hvis slash command (facilitators); participants never need it."""

from slack_bolt import Ack, App

from bot.context import Hvis
from bot.i18n import t


def register(app: App, h: Hvis) -> None:
    @app.command("/hvis")
    def hvis_command(command: dict, ack: Ack) -> None:
        """Help, in the language asked for (`/hvis help` is English, anything else Danish)."""
        words = (command.get("text") or "").split()
        language = "en" if words[:1] == ["help"] else h.settings.language
        ack(response_type="ephemeral", text=t(language, "help.text"))
