"""The in-process llama.cpp backend on the built-in SmolLM2 GGUF."""

import asyncio

import numpy as np
import pytest

from assay.core.errors import ModelRequestError
from assay.core.types import GenerateRequest, GenerationParams, LoglikelihoodRequest, Message
from assay.models import build_model, parse_model
from assay.models.llamacpp import score_tokens


@pytest.fixture(scope="module")
def smol():
    model = build_model(parse_model("smollm2-135m"))
    yield model
    asyncio.run(model.aclose())


def test_identity_includes_the_file_hash(smol):
    assert smol.identity["backend"] == "llama.cpp"
    assert len(smol.identity["file_sha256"]) == 64


def test_greedy_generation_is_repeatable_and_honours_stop_and_max_tokens(smol):
    req = GenerateRequest(prompt="List three colours:\n1.", params=GenerationParams(max_tokens=40))
    first = asyncio.run(smol.generate(req))
    again = asyncio.run(smol.generate(req))
    assert first.text == again.text and first.text.strip()
    assert first.completion_tokens <= 40
    short = asyncio.run(
        smol.generate(GenerateRequest(prompt=req.prompt, params=GenerationParams(max_tokens=3)))
    )
    assert short.completion_tokens <= 3 and short.finish_reason == "length"
    stopped = asyncio.run(
        smol.generate(
            GenerateRequest(prompt=req.prompt, params=GenerationParams(max_tokens=40, stop=("\n",)))
        )
    )
    assert "\n" not in stopped.text
    assert first.text.startswith(stopped.text)


def test_chat_generation_uses_the_template(smol):
    req = GenerateRequest(
        messages=(Message("user", "What is the capital of France? One word."),),
        params=GenerationParams(max_tokens=16),
    )
    out = asyncio.run(smol.generate(req))
    assert "Paris" in out.text
    assert out.prompt_tokens > 15  # template tokens came along with the 10-token question


def test_loglikelihood_reuses_the_prefix_and_matches_a_fresh_evaluation(smol):
    context = "Question: What is the capital of France?\nAnswer:"
    choices = (" Paris", " London", " a green elephant", " Berlin")
    result = asyncio.run(smol.loglikelihood(LoglikelihoodRequest(context=context, continuations=choices)))
    logprobs = [s.logprob for s in result.scores]
    assert max(range(4), key=logprobs.__getitem__) == 0
    assert all(lp < 0 for lp in logprobs)
    # Reference: each choice scored alone, context and continuation evaluated from scratch.
    for choice, got in zip(choices, result.scores, strict=True):
        alone = asyncio.run(
            smol.loglikelihood(LoglikelihoodRequest(context=context, continuations=(choice,)))
        )
        assert got.logprob == pytest.approx(alone.scores[0].logprob, abs=1e-3)
        assert got.num_tokens == alone.scores[0].num_tokens
    llm = smol._model()
    ctx_tokens = len(llm.tokenize(context.encode(), add_bos=True, special=False))
    naive = sum(ctx_tokens + s.num_tokens for s in result.scores)
    assert result.tokens_evaluated == ctx_tokens + sum(s.num_tokens for s in result.scores)
    assert result.tokens_evaluated < naive


def test_score_tokens_is_log_softmax_sum():
    logits = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    got = score_tokens(logits, [2, 0])
    expected = (2 - np.log(np.exp([0, 1, 2]).sum())) + (3 - np.log(np.exp([3, 0, 0]).sum()))
    assert got.logprob == pytest.approx(expected)
    assert got.is_greedy and got.num_tokens == 2
    assert not score_tokens(logits, [1, 0]).is_greedy


def test_chat_log_likelihood_scores_after_the_gguf_chat_template(smol):
    from assay.models.llamacpp import render_chat_template

    llm = smol._model()
    turns = (Message("user", "What is the capital of France?"),)
    text = render_chat_template(llm, turns, "smollm2")
    assert text.rstrip().endswith("<|im_start|>assistant")
    assert "What is the capital of France?" in text
    chat = asyncio.run(
        smol.loglikelihood(
            LoglikelihoodRequest(
                context="What is the capital of France?", continuations=("Paris", "Banana"), messages=turns
            )
        )
    )
    # The same numbers by hand: tokenise the rendered prompt (its special tokens as tokens), then
    # sum each continuation token's log-softmax.
    ctx = llm.tokenize(text.encode(), add_bos=True, special=True)
    cont = llm.tokenize(b"Paris", add_bos=False, special=False)
    llm.reset()
    llm.eval(ctx + cont)
    logits = np.asarray(llm.scores[len(ctx) - 1 : len(ctx) - 1 + len(cont)], dtype=np.float64)
    llm.reset()
    assert chat.scores[0].logprob == pytest.approx(score_tokens(logits, cont).logprob, abs=1e-3)
    assert chat.scores[0].logprob > chat.scores[1].logprob
    plain = asyncio.run(
        smol.loglikelihood(
            LoglikelihoodRequest(context="What is the capital of France?", continuations=(" Paris",))
        )
    )
    assert plain.scores[0].logprob != pytest.approx(chat.scores[0].logprob)


# -- streaming ---------------------------------------------------------------------------------


async def collect(pieces):
    return [piece async for piece in pieces]


def test_chat_stream_gives_the_text_generate_gives(smol):
    request = GenerateRequest(
        messages=(Message("user", "Count to five."),), params=GenerationParams(max_tokens=24)
    )
    pieces = asyncio.run(collect(smol.stream(request)))
    whole = asyncio.run(smol.generate(request)).text
    assert len(pieces) > 3 and "".join(pieces) == whole


def test_completion_stream_honours_stop_strings(smol):
    request = GenerateRequest(
        prompt="List three colours:\n1.", params=GenerationParams(max_tokens=40, stop=("3.",))
    )
    pieces = asyncio.run(collect(smol.stream(request)))
    whole = asyncio.run(smol.generate(request))
    assert "".join(pieces) == whole.text and whole.finish_reason == "stop"
    assert "2." in whole.text and "3." not in whole.text and len(pieces) > 1


def test_a_consumer_that_stops_early_stops_the_decoding(smol):
    request = GenerateRequest(prompt="Once upon a time", params=GenerationParams(max_tokens=200))
    whole = asyncio.run(smol.generate(request))
    assert whole.completion_tokens > 60  # a long answer, so decoding on would show below

    async def first_three():
        stream = smol.stream(request)
        pieces = [await anext(stream) for _ in range(3)]
        await stream.aclose()  # returns once the decoding thread has stopped
        return pieces

    pieces = asyncio.run(first_three())
    assert whole.text.startswith("".join(pieces))
    # Tokens in llama.cpp's context: the prompt and what was decoded before the stop, not 200 more.
    assert smol._model().n_tokens < whole.prompt_tokens + 10
    assert asyncio.run(smol.generate(request)) == whole  # the model is free and unharmed


def test_a_request_llama_cpp_refuses_is_the_same_error_streamed(smol):
    too_long = GenerateRequest(prompt="hello " * 5000, params=GenerationParams(max_tokens=2))
    with pytest.raises(ModelRequestError) as streaming:
        asyncio.run(collect(smol.stream(too_long)))
    with pytest.raises(ModelRequestError) as generating:
        asyncio.run(smol.generate(too_long))
    assert not streaming.value.retryable and streaming.value.reason == generating.value.reason
