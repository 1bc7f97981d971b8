"""A facilitator can make a running day's anonymity stricter from the plan, never looser, and every open
prompt then says the new mode."""

from __future__ import annotations

import json

from bot.i18n import t
from tests.support import CHANNEL, FACILITATOR, USERS, wait_until


def _plan_view(stub, session):
    stub.slash(FACILITATOR, CHANNEL, f"planlæg {session.id}")
    return wait_until(lambda: (v := stub.last_view(FACILITATOR)) and v["callback_id"] == "hvis_plan" and v, "the plan")


def _offered(view) -> list[str]:
    block = next(b for b in view["blocks"] if b.get("block_id") == "anonymity")
    return [o["value"] for o in (block.get("accessory") or {}).get("options", [])]


def test_a_running_day_offers_only_stricter_modes_and_changing_restates_open_prompts(bot, live_session, stub):
    session, prompt = live_session
    view = _plan_view(stub, session)
    assert _offered(view) == ["confidential", "anonymous", "choice"]  # never back to named once it is out
    assert stub.click_view(FACILITATOR, view["id"], "plan_anonymity", "anonymous").status == 200
    assert wait_until(lambda: bot.store.sessions.get(session.id).anonymity == "anonymous", "the stricter mode")
    posted = wait_until(lambda: (m := stub.message(CHANNEL, prompt.message_ts)) and t("da", "mode.anonymous") in
                        json.dumps(m["blocks"], ensure_ascii=False) and m, "the prompt restated")
    actions = [e["action_id"] for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["answer_anonymously"]


def test_a_forged_looser_mode_or_a_stranger_changes_nothing(bot, live_session, stub):
    session, _ = live_session
    view = _plan_view(stub, session)
    stub.click_view(FACILITATOR, view["id"], "plan_anonymity", "anonymous")
    wait_until(lambda: bot.store.sessions.get(session.id).anonymity == "anonymous", "the stricter mode")
    from standin.delivery import action_for, view_actions

    stub.deliver(view_actions(stub.ws, FACILITATOR, stub.ws.views[view["id"]], stub.verification_token, "t",
                              action_for({"type": "static_select", "options": [{"text": {"type": "plain_text", "text": "x"},
                                                                                "value": "named"}]},
                                         "plan_anonymity", "anonymity", "named", "1.1")))
    stub.deliver(view_actions(stub.ws, USERS[0], stub.ws.views[view["id"]], stub.verification_token, "t",
                              action_for(None, "plan_anonymity", "anonymity", "named", "1.2")))
    assert bot.store.sessions.get(session.id).anonymity == "anonymous"
