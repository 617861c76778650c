"""Arena answers come from `Model.stream`: an OpenAI-compatible server (SSE) against the built-in model."""

import asyncio

from assay.arena import ArenaConfig, ArenaService
from assay.core.types import GenerateRequest, GenerationParams, Message
from assay.models import build_model, parse_model
from assay.store import Store
from assay.store.arena_live import get_battle

PROMPT = "Name three planets."
MAX_TOKENS = 24
SESSION = "session-" + "s" * 24


async def reference_answer(name: str, args: dict) -> str:
    model = build_model(parse_model(name, args))
    request = GenerateRequest(
        messages=(Message("user", PROMPT),), params=GenerationParams(max_tokens=MAX_TOKENS)
    )
    try:
        return (await model.generate(request)).text
    finally:
        await model.aclose()


def test_a_battle_streams_both_backends_to_their_greedy_answers(tmp_path, llama_server):
    served = "openai:smollm2"
    args = {served: {"base_url": llama_server, "mode": "chat"}}
    config = ArenaConfig(models=(served, "smollm2-135m"), max_tokens=MAX_TOKENS, model_args=args)

    async def battle(store):
        # Asked once before the battle, the server holds this prompt in its cache for the battle's stream
        # too, so both go through the same arithmetic (see test_openai_compat's streamed_and_generated).
        await reference_answer(served, args[served])
        service = ArenaService(store, config)
        try:
            battle_id = await service.start(SESSION, PROMPT)
            kinds = [kind async for kind, _, _ in service.events(battle_id, SESSION)]
        finally:
            await service.aclose()
        expected = {served: await reference_answer(served, args[served])}
        expected["smollm2-135m"] = await reference_answer("smollm2-135m", {})
        return get_battle(store, battle_id), kinds, expected

    with Store.open(tmp_path / "s.db") as store:
        stored, kinds, expected = asyncio.run(battle(store))
    assert kinds.count("answer") == 2
    assert {stored.model_a, stored.model_b} == set(config.models)
    assert stored.answer_a == expected[stored.model_a] and stored.answer_b == expected[stored.model_b]
    assert all(expected.values()) and "(no answer" not in stored.answer_a + stored.answer_b
