"""Batched decoding in the llama.cpp backend gives the sequential path's answers, per request."""

from __future__ import annotations

import asyncio

import pytest

from assay.core.errors import AssayError
from assay.core.types import GenerateRequest, GenerationParams, LoglikelihoodRequest, Message
from assay.engine.progress import TokensPerSecondColumn
from assay.models import build_model, parse_model
from assay.models.throughput import TokenMeter

PROMPTS = ("Name three colors.", "What is 12*7? Explain.", "Write a haiku about rain.", "Count from 1 to 10:")


def requests() -> list[GenerateRequest]:
    """Different lengths, chat and completion, stop strings and max_tokens per request."""
    out = []
    for i, prompt in enumerate(PROMPTS):
        params = GenerationParams(max_tokens=8 + 6 * i, stop=("\n",) if i % 2 else ())
        out.append(GenerateRequest(messages=(Message("user", prompt),), params=params))
        out.append(
            GenerateRequest(prompt=f"Q: {prompt}\nA:", params=GenerationParams(max_tokens=12, stop=(".",)))
        )
    return out


async def answers(n_seq: int, reqs: list[GenerateRequest]) -> tuple[list, int]:
    model = build_model(parse_model("smollm2-135m", {"n_seq": n_seq}))
    try:
        return list(await asyncio.gather(*(model.generate(r) for r in reqs))), model.max_concurrency
    finally:
        await model.aclose()


def test_batched_greedy_answers_are_the_sequential_ones_with_slots_refilled():
    reqs = requests()
    sequential, _ = asyncio.run(answers(1, reqs))
    batched, slots = asyncio.run(answers(3, reqs))  # 8 requests through 3 slots: refilled as they finish
    assert slots == 3
    assert batched == sequential
    for request, answer in zip(reqs, batched, strict=True):
        assert answer.completion_tokens <= request.params.max_tokens
        assert not any(s in answer.text for s in request.params.stop)
    assert {a.finish_reason for a in batched} == {"stop", "length"}


def test_sampling_with_a_seed_does_not_depend_on_the_neighbours():
    params = GenerationParams(max_tokens=12, temperature=0.8, seed=7)
    sampled = GenerateRequest(prompt="Once upon a time", params=params)
    others = [GenerateRequest(prompt=p, params=GenerationParams(max_tokens=10)) for p in PROMPTS]
    alone, _ = asyncio.run(answers(4, [sampled]))
    crowded, _ = asyncio.run(answers(4, [*others[:2], sampled, *others[2:]]))
    assert crowded[2] == alone[0]


def test_loglikelihood_is_the_sequential_score():
    request = LoglikelihoodRequest(context="Question: 2+2=?\nAnswer:", continuations=(" 4", " five", " 22"))

    async def score(args: dict) -> list[float]:
        model = build_model(parse_model("smollm2-135m", args))
        try:
            result = await model.loglikelihood(request)
        finally:
            await model.aclose()
        return [s.logprob for s in result.scores]

    sequential = asyncio.run(score({"n_seq": 1}))
    assert asyncio.run(score({"n_seq": 4})) == sequential
    packed = asyncio.run(score({"n_seq": 4, "pack_scores": "true"}))
    assert packed == pytest.approx(sequential, abs=0.25)  # see llamacpp_batch: ubatch rounding


def test_concurrency_comes_from_the_model_and_batch_false_is_sequential():
    assert build_model(parse_model("smollm2-135m")).max_concurrency > 1
    assert build_model(parse_model("smollm2-135m", {"batch": "false"})).max_concurrency == 1
    assert build_model(parse_model("smollm2-135m", {"n_seq": 5})).max_concurrency == 5
    with pytest.raises(AssayError, match="n_seq must be"):
        build_model(parse_model("smollm2-135m", {"n_seq": "many"}))


def test_progress_shows_tokens_per_second():
    meter = TokenMeter()
    column = TokensPerSecondColumn(meter)
    assert column.render(None).plain == ""  # type: ignore[arg-type]
    meter.add(500)
    assert column.render(None).plain.endswith("tok/s")  # type: ignore[arg-type]
