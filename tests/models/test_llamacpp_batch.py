"""Batched decoding in the llama.cpp backend gives the sequential path's answers, per request."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

import assay  # noqa: F401  (fills the registries)
from assay.core.errors import AssayError
from assay.core.registry import tasks
from assay.core.types import GenerateRequest, GenerationParams, LoglikelihoodRequest, Message
from assay.engine.progress import TokensPerSecondColumn
from assay.models import build_model, llamacpp, llamacpp_batch, parse_model
from assay.models.llamacpp import affordable_sequences, kv_bytes_per_token
from assay.models.llamacpp_exact_scoring import ExactScorer
from assay.models.llamacpp_numerics import identical_step_tokens, probe_kernels
from assay.models.llamacpp_scoring import common_prefix
from assay.models.llamacpp_sequence import CompletionState
from assay.models.throughput import TokenMeter, tokens_processed
from assay.models.zoo import qwen_available

needs_qwen = pytest.mark.skipif(not qwen_available(), reason="the Qwen2.5-Coder GGUF parts are not installed")
PROMPTS = ("Name three colors.", "What is 12*7?", "Count from 1 to 10:")


def requests() -> list[GenerateRequest]:
    """Different lengths, chat and completion, stop strings and max_tokens per request."""
    out = []
    for i, prompt in enumerate(PROMPTS):
        params = GenerationParams(max_tokens=4 + 4 * i, stop=("\n",) if i % 2 else ())
        out.append(GenerateRequest(messages=(Message("user", prompt),), params=params))
    fruit = GenerationParams(max_tokens=10, stop=(".",))
    out.append(GenerateRequest(prompt="Q: Name a fruit.\nA:", params=fruit))
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
    batched, slots = asyncio.run(answers(2, reqs))  # 4 requests through 2 slots: refilled as they finish
    assert slots == 2
    assert batched == sequential
    for request, answer in zip(reqs, batched, strict=True):
        assert answer.completion_tokens <= request.params.max_tokens
        assert not any(s in answer.text for s in request.params.stop)
    assert "length" in {a.finish_reason for a in batched}


@needs_qwen
def test_exact_batching_keeps_the_sequential_answers_where_kernels_switch():
    """Qwen2.5-0.5B's Q5_0/Q8_0 weights meet another matrix kernel in steps of 8+ tokens (on x86 CPUs),
    where a batch of 10 GSM8K answers part from the sequential ones (4 of 12 in a run by hand, one at
    the first token). By default the context takes no more sequences than the exact step size and
    evaluates each prompt alone, so every answer is the sequential one byte for byte."""
    task = tasks.get("gsm8k")()
    reqs = []
    for sample in list(task.samples())[:10]:
        request = task.build_request(sample, chat=True)
        reqs.append(replace(request, params=replace(request.params, max_tokens=40)))

    async def run(args: dict) -> tuple[list[str], int]:
        model = build_model(parse_model("qwen2.5-coder-0.5b", args))
        try:
            answers = await asyncio.gather(*(model.generate(r) for r in reqs))
            slots = model._decoder().slots if model.n_seq > 1 else 1  # type: ignore[attr-defined]
            return [a.text for a in answers], slots
        finally:
            await model.aclose()

    sequential, _ = asyncio.run(run({"n_seq": 1}))
    batched, slots = asyncio.run(run({"n_seq": 10}))
    assert batched == sequential
    assert 1 < slots <= 10


@needs_qwen
def test_few_shot_prompts_share_their_examples_and_keep_the_sequential_answers():
    """8-shot GSM8K prompts (~900 tokens: longer than one 512-token piece of the sequential path) share
    their examples; the decoder evaluates them once and each prompt's rest from the same piece
    boundaries, so the answers stay the sequential ones."""
    task = tasks.get("gsm8k")(num_fewshot=8)
    reqs = []
    for sample in list(task.samples())[:3]:
        request = task.build_request(sample, chat=True)
        reqs.append(replace(request, params=replace(request.params, max_tokens=12)))

    async def run(args: dict) -> tuple[list, int]:
        model = build_model(parse_model("qwen2.5-coder-0.5b", args))
        try:
            await model.generate(replace(reqs[0], params=replace(reqs[0].params, max_tokens=1)))  # load
            before = tokens_processed.total
            answers = await asyncio.gather(*(model.generate(r) for r in reqs))
            return list(answers), tokens_processed.total - before
        finally:
            await model.aclose()

    sequential, sequential_tokens = asyncio.run(run({"n_seq": 1}))
    batched, batched_tokens = asyncio.run(run({}))
    assert batched == sequential
    assert all(a.prompt_tokens > 512 for a in batched)
    assert batched_tokens < 0.5 * sequential_tokens  # the examples once, not three times


@needs_qwen
def test_a_repeated_request_gets_the_same_answer_one_at_a_time_and_batched():
    """llama-cpp-python reuses the previous request's cells and would evaluate a repeated prompt's last
    token alone, in a step whose kernels give other logits (a different first word here)."""
    task = tasks.get("gsm8k")()
    request = task.build_request(next(iter(task.samples())), chat=True)
    request = replace(request, params=replace(request.params, max_tokens=8))

    async def twice(args: dict) -> list[str]:
        model = build_model(parse_model("qwen2.5-coder-0.5b", args))
        try:
            return [(await model.generate(request)).text for _ in range(2)]
        finally:
            await model.aclose()

    first, again = asyncio.run(twice({"n_seq": 1}))
    assert first == again
    assert asyncio.run(twice({})) == [first, first]


def test_the_exact_step_size_is_probed_and_fast_batching_is_cached_apart():
    model = build_model(parse_model("smollm2-135m", {"n_ctx": 512}))
    try:
        llm = model._model()  # type: ignore[attr-defined]
        assert identical_step_tokens(llm, 1) == 1
        assert 1 <= identical_step_tokens(llm, 4) <= 4
    finally:
        asyncio.run(model.aclose())
    exact, fast = (build_model(parse_model("smollm2-135m", {"exact": v})) for v in ("true", "false"))
    assert "exact" not in exact.identity and fast.identity["exact"] is False
    assert "exact" not in build_model(parse_model("smollm2-135m", {"exact": "off", "n_seq": 1})).identity
    with pytest.raises(AssayError, match="exact must be true or false, not 'maybe'"):
        build_model(parse_model("smollm2-135m", {"exact": "maybe"}))


def test_finished_slots_are_closed_up_without_changing_answers(monkeypatch):
    """A gap in the sequence ids would cost llama.cpp a pass over the weights per step, so the decoder
    moves the last sequence down into a finished one's slot; the answers stay the sequential ones."""
    import llama_cpp

    lengths = (3, 6, 24)  # finishing at different steps, so slots free up while others run
    pairs = zip(PROMPTS, lengths, strict=True)
    reqs = [GenerateRequest(prompt=p, params=GenerationParams(max_tokens=n)) for p, n in pairs]
    sequential, _ = asyncio.run(answers(1, reqs))
    model = build_model(parse_model("smollm2-135m", {"n_seq": 3}))
    try:
        decoder = model._decoder()  # type: ignore[attr-defined]  (loads and probes: copies not counted)
        jobs = [model._generation_job(r)[1] for r in reqs]  # type: ignore[attr-defined]
        moves = []
        copy = llama_cpp.llama_memory_seq_cp
        monkeypatch.setattr(llama_cpp, "llama_memory_seq_cp", lambda *a: (moves.append(a[1:3]), copy(*a))[1])
        with llamacpp_batch._DECODE_LOCK:  # all queued before a step runs: slots 0, 1, 2 in this order
            futures = [decoder.submit_generation(job) for job in jobs]
        texts = [future.result(timeout=300).answer_text() for future in futures]
    finally:
        asyncio.run(model.aclose())
    assert texts == [a.text for a in sequential]
    assert moves and all(to < source for source, to in moves)  # always down, into a freed slot


def test_requests_given_up_on_do_not_fail_the_others():
    """Scoring requests cancelled while queued or while being scored (a timeout) are dropped; the
    generation queued behind them still gets its answer."""
    model = build_model(parse_model("smollm2-135m", {"n_seq": 2}))
    try:
        decoder = model._decoder()  # type: ignore[attr-defined]
        _, generation_job = model._generation_job(  # type: ignore[attr-defined]
            GenerateRequest(prompt="Count from 1 to 5:", params=GenerationParams(max_tokens=4))
        )
        request = LoglikelihoodRequest(context="Question: 2+2=?\nAnswer:", continuations=(" 4", " 5"))
        jobs = [model._scoring_job(request)[1] for _ in range(2)]  # type: ignore[attr-defined]
        with llamacpp_batch._DECODE_LOCK:  # nothing decodes until all is queued and cancelled
            taken = decoder.submit_scoring(jobs[0])
            time.sleep(0.3)  # the worker takes it, then waits for the lock
            queued = decoder.submit_scoring(jobs[1])
            generation = decoder.submit_generation(generation_job)
            assert taken.cancel() and queued.cancel()
        assert generation.result(timeout=120).finish_reason == "length"
    finally:
        asyncio.run(model.aclose())


def test_sampling_with_a_seed_does_not_depend_on_the_neighbours():
    params = GenerationParams(max_tokens=6, temperature=0.8, seed=7)
    sampled = GenerateRequest(prompt="Once upon a time", params=params)
    others = [GenerateRequest(prompt=p, params=GenerationParams(max_tokens=4)) for p in PROMPTS[:2]]
    alone, _ = asyncio.run(answers(3, [sampled]))
    crowded, _ = asyncio.run(answers(3, [others[0], sampled, others[1]]))
    assert crowded[1] == alone[0]


SYSTEM = Message("system", "You are a careful assistant. Answer with the option only, no explanation at all.")
OPTIONS = (
    "4",  # one token: scored from the context's last row
    "four",
    "2 + 2 = 4",  # a few tokens: fed beside other requests' options
    "The sum of two and two is four, as anyone who has counted on their fingers knows well.",  # long
    "",
)


def scoring_requests() -> list[LoglikelihoodRequest]:
    """Chat contexts sharing a system turn, options of every kind, a plain-text one, a per-token one."""
    out = [
        LoglikelihoodRequest(
            context="", continuations=OPTIONS, messages=(SYSTEM, Message("user", f"What is {a} + {b}?"))
        )
        for a, b in ((2, 2), (2, 3), (2, 5), (2, 9), (2, 7))  # alike but for the last few tokens
    ]
    out.append(LoglikelihoodRequest(context="The capital of France is", continuations=(" Paris", " Rome")))
    out.append(replace(out[1], per_token=True))
    return out


async def scored(model_name: str, args: dict) -> tuple[list, int]:
    """Every request's result, sent at once, and the tokens the model ran to get them."""
    model = build_model(parse_model(model_name, args))
    try:
        await model.loglikelihood(scoring_requests()[0])  # load (and probe) outside the count
        before = tokens_processed.total
        results = await asyncio.gather(*(model.loglikelihood(r) for r in scoring_requests()))
        return list(results), tokens_processed.total - before
    finally:
        await model.aclose()


MODELS = [
    "smollm2-135m",
    pytest.param(
        "qwen2.5-coder-0.5b",
        marks=needs_qwen,
    ),
]


@pytest.mark.parametrize("model_name", MODELS)
def test_batched_loglikelihood_is_the_sequential_score_bit_for_bit(model_name):
    """On qwen the kernels switch at 8 tokens a step: feeding an option's tokens one per step, or a
    shared prefix cut off a short rest, gave scores up to 0.35 nats off (checked by hand)."""
    sequential, sequential_tokens = asyncio.run(scored(model_name, {"n_seq": 1}))
    batched, batched_tokens = asyncio.run(scored(model_name, {}))
    assert batched == sequential  # every float equal, per-token values included, and the work reported
    assert batched[-1].scores[0].token_logprobs
    assert batched_tokens < sequential_tokens  # one-token options need no step of their own


def test_contexts_scored_together_evaluate_their_shared_prefix_once():
    """Requests that reach the scorer together (as the engine sends them) evaluate the system turn and
    question start they share once (arrival order decides what the model call above saves)."""
    model = build_model(parse_model("smollm2-135m", {}))
    try:
        decoder = model._decoder()  # type: ignore[attr-defined]
        jobs = [model._scoring_job(r)[1] for r in scoring_requests()[:5]]  # type: ignore[attr-defined]
        scorer = ExactScorer(decoder.llm, decoder.kernels, n_ctx=2048, max_cells=1 << 20)
        before = tokens_processed.total
        scorer.score(jobs)
        ran = tokens_processed.total - before
        scorer.close()
    finally:
        asyncio.run(model.aclose())
    assert ran < 0.75 * sum(job.sequential_tokens for job in jobs)


@needs_qwen
def test_the_probes_find_where_qwen_kernels_switch_and_a_capped_probe_cuts_nothing():
    llm = build_model(parse_model("qwen2.5-coder-0.5b", {"n_seq": 1}))._model()
    default = probe_kernels(llm, 16)
    assert (default.rows, default.least_cut, default.all_outputs) == (7, 8, False)
    # A probe capped below the switch (4 sequences) must not take 5-7 token steps for many-token ones:
    # no prompt is cut there.
    capped = probe_kernels(llm, 4)
    assert (capped.rows, capped.least_cut) == (4, 0)
    assert default.outputs(42) == 8 and default.outputs(5) == 5


def test_packed_loglikelihood_is_the_sequential_score():
    requests = [
        LoglikelihoodRequest(context="Question: 2+2=?\nAnswer:", continuations=(" 4", " five", " 22")),
        LoglikelihoodRequest(context="The capital of France is", continuations=(" Paris", " Rome")),
    ]

    async def score(args: dict) -> list[float]:
        model = build_model(parse_model("smollm2-135m", args))
        try:
            results = await asyncio.gather(*(model.loglikelihood(r) for r in requests))
        finally:
            await model.aclose()
        return [s.logprob for result in results for s in result.scores]

    sequential = asyncio.run(score({"n_seq": 1}))
    packed = asyncio.run(score({"n_seq": 4, "pack_scores": "true"}))
    assert packed == pytest.approx(sequential, abs=1e-3)


def state(max_tokens: int = 10, stops: tuple[bytes, ...] = ()) -> CompletionState:
    return CompletionState(prompt=[1, 2], stops=stops, max_tokens=max_tokens)


def test_a_character_split_over_tokens_is_never_cut():
    # "é" is C3 A9: at max_tokens=1 the sequence still takes the second half of the character.
    s = state(max_tokens=1)
    assert not s.feed(10, b"caf\xc3")
    assert s.feed(11, b"\xa9!")
    assert (s.answer_text(), s.finish_reason, len(s.tokens)) == ("café!", "length", 2)
    # A four-byte character over three tokens; a stop string inside it is found once it is whole.
    s = state(stops=("😀".encode(),))
    assert not s.feed(1, b"ok \xf0\x9f") and not s.feed(2, b"\x98") and s.feed(3, b"\x80 more")
    assert (s.answer_text(), s.finish_reason) == ("ok ", "stop")
    # Bytes that can never become a character are not waited for.
    s = state(max_tokens=1)
    assert s.feed(1, b"\xff")
    assert s.finish_reason == "length"


def test_stop_strings_across_pieces_and_in_the_order_given():
    s = state(stops=(b"END", b"\n"))
    assert s.feed(1, b"one\ntwo END")  # both appear at once: the first one given wins, as in llama-cpp-python
    assert s.answer_text() == "one\ntwo "
    s = state(stops=(b"XY", b"END"))  # "XY" straddles two pieces
    assert not s.feed(1, b"abc X")
    assert s.feed(2, b"Y and END")
    assert s.answer_text() == "abc "
    s = state()
    assert s.feed(1, b"done", is_eog=False) is False
    assert s.feed(2, b"", is_eog=True) and s.answer_text() == "done"


def test_common_prefix():
    assert common_prefix([[1, 2, 3], [1, 2, 4], [1, 2]]) == 2
    assert common_prefix([[5], [6]]) == 0
    assert common_prefix([]) == 0


def test_concurrency_comes_from_the_model_and_batch_false_is_sequential():
    assert build_model(parse_model("smollm2-135m")).max_concurrency > 1
    assert build_model(parse_model("smollm2-135m", {"batch": "false"})).max_concurrency == 1
    assert build_model(parse_model("smollm2-135m", {"n_seq": 5})).max_concurrency == 5
    with pytest.raises(AssayError, match="n_seq must be"):
        build_model(parse_model("smollm2-135m", {"n_seq": "many"}))


def test_a_large_kv_window_gets_fewer_sequences_unless_asked(monkeypatch):
    assert affordable_sequences(8, 4096 * 131072, 2 << 30) == 4  # an 8B model's 4096-token window
    assert affordable_sequences(8, 100 << 30, 2 << 30) == 1 and affordable_sequences(8, 1 << 20, 2 << 30) == 8
    model = build_model(parse_model("smollm2-135m", {"n_ctx": 512}))
    llm = model._model()  # type: ignore[attr-defined]
    # SmolLM2-135M: 30 layers, 3 key/value heads of 64 (576 wide over 9 heads), f16 keys and values.
    assert kv_bytes_per_token(llm) == 30 * 2 * 3 * 64 * 2
    monkeypatch.setattr(llamacpp, "KV_BUDGET_BYTES", 2 * 512 * kv_bytes_per_token(llm))  # two windows
    try:
        assert model.n_seq > 2 and model._decoder().slots == 2  # type: ignore[attr-defined]
    finally:
        asyncio.run(model.aclose())
    chosen = build_model(parse_model("smollm2-135m", {"n_ctx": 512, "n_seq": 3}))
    try:
        assert chosen._decoder().slots == 3  # type: ignore[attr-defined]
    finally:
        asyncio.run(chosen.aclose())


def test_progress_shows_tokens_per_second():
    meter = TokenMeter()
    column = TokensPerSecondColumn(meter)
    assert column.render(None).plain == ""  # type: ignore[arg-type]
    meter.add(500)
    assert column.render(None).plain.endswith("tok/s")  # type: ignore[arg-type]
