"""Button presses on prompt messages and facilitator notices."""

from typing import Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import posting, replies
from bot.context import Hvis
from bot.errors import HvisError
from bot.i18n import t


def _tell(respond: Respond, job: Callable[[], str]) -> None:
    """Answer the presser privately with what the service says, or with why it refused."""
    try:
        text = job()
    except HvisError as exc:
        text = str(exc)
    respond(text=text, response_type="ephemeral", replace_original=False)


def register(app: App, h: Hvis) -> None:
    def open_answer(body: dict, ack: Ack, client: WebClient, respond: Respond, anonymous: bool) -> None:
        ack()
        try:
            view = replies.open_answer(h, body["actions"][0]["value"], body["user"]["id"], anonymous)
        except HvisError as exc:
            respond(text=str(exc), response_type="ephemeral", replace_original=False)
            return
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError:  # the trigger lasts 3 s; a slow moment in Slack or here lets it expire
            respond(text=t(h.settings.language, "modal.retry"), response_type="ephemeral", replace_original=False)

    @app.action("answer")
    def answer_action(body: dict, ack: Ack, client: WebClient, respond: Respond) -> None:
        """*Answer*: open the answer modal (named where the mode allows)."""
        open_answer(body, ack, client, respond, anonymous=False)

    @app.action("answer_anonymously")
    def answer_anonymously_action(body: dict, ack: Ack, client: WebClient, respond: Respond) -> None:
        """*Answer anonymously*: the same modal, stored without a name."""
        open_answer(body, ack, client, respond, anonymous=True)

    @app.action("vote")
    def vote_action(body: dict, ack: Ack, respond: Respond) -> None:
        """*Support* under an answer the bot posted: one vote per person, pressing again takes it back."""
        ack()
        _tell(respond, lambda: replies.vote_button(h, body["actions"][0]["value"], body["user"]["id"]))

    @app.action("post_now")
    def post_now_action(body: dict, ack: Ack, respond: Respond) -> None:
        """A facilitator posts a missed or failed prompt now."""
        ack()
        _tell(respond, lambda: posting.post_now(h, body["actions"][0]["value"], body["user"]["id"]))
