"""Modal submissions."""

from slack_bolt import Ack, App

from bot import render, replies
from bot.context import Hvis
from bot.errors import BadInput, NotAllowed


def register(app: App, h: Hvis) -> None:
    @app.view(render.ANSWER_CALLBACK)
    def answer_view(body: dict, view: dict, ack: Ack) -> None:
        """Store the answer, then close the modal; the tick posts it into the thread."""
        try:
            replies.modal_answer(h, view, body["user"]["id"])
        except (BadInput, NotAllowed) as exc:
            ack(response_action="errors", errors={"answer": str(exc)})
            return
        ack()
