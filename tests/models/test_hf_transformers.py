"""The transformers backend on a tiny Llama built from a config in a temporary directory (no hub access)."""

import asyncio
import json
import shutil

import pytest

pytest.importorskip("transformers")  # only so collection works without the `hf` extra; CI installs it

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from assay.core.errors import AssayError, ModelRequestError, ModelUnsupportedError
from assay.core.registry import model_backends
from assay.core.types import (
    ContinuationScore,
    GenerateRequest,
    GenerationParams,
    LoglikelihoodRequest,
    Message,
    ModelSpec,
)
from assay.models.hf_transformers import TransformersModel

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SENTENCES = [
    "The capital of France is Paris.",
    "The capital of Germany is Berlin.",
    "Question: What is two plus two?\nAnswer: four",
    "A green elephant walks to London.",
    "Colours: red, green, blue, yellow.",
    "The quick brown fox jumps over the lazy dog.",
] * 4


def build_tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    # Only bytes seen in training enter the vocabulary: ASCII, so any token sequence decodes cleanly.
    trainer = trainers.BpeTrainer(vocab_size=200, special_tokens=["<pad>", "<s>", "</s>"])
    tok.train_from_iterator(SENTENCES, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        chat_template=CHAT_TEMPLATE,
    )


def build_model(vocab_size: int, seed: int = 0) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        # An untrained model could pick EOS at once; a zero row keeps its logit below the maximum.
        model.lm_head.weight[2].zero_()
    return model


def load(path) -> TransformersModel:
    model = model_backends.get("hf")(ModelSpec(name="tiny", backend="hf", args=(("path", str(path)),)))
    assert isinstance(model, TransformersModel)
    return model


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = build_tokenizer()
    tokenizer.save_pretrained(directory)
    build_model(len(tokenizer)).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    model = load(tiny_dir)
    yield model
    run(model.aclose())


@pytest.fixture(scope="module")
def reference(tiny_dir):
    """The same weights loaded directly, for naive full-sequence scoring."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_dir).eval(), AutoTokenizer.from_pretrained(tiny_dir)


def greedy(prompt: str, max_tokens: int = 20, stop: tuple[str, ...] = ()) -> GenerateRequest:
    return GenerateRequest(prompt=prompt, params=GenerationParams(max_tokens=max_tokens, stop=stop))


def test_greedy_generation_is_repeatable_and_respects_max_tokens(tiny, reference):
    first = run(tiny.generate(greedy("The capital of France is")))
    again = run(tiny.generate(greedy("The capital of France is")))
    assert first.text and first.text == again.text
    assert first.completion_tokens == 20 and first.finish_reason == "length"
    assert first.prompt_tokens == len(reference[1]("The capital of France is")["input_ids"])
    short = run(tiny.generate(greedy("The capital of France is", max_tokens=3)))
    assert short.completion_tokens == 3 and short.finish_reason == "length"
    assert first.text.startswith(short.text) and len(short.text) < len(first.text)


def test_stream_is_the_protocols_default_the_whole_answer_once(tiny):
    """This backend has no stream of its own: the default yields `generate`'s text, once."""

    async def both(request):
        return [piece async for piece in tiny.stream(request)], await tiny.generate(request)

    for request in (greedy("The capital of France is"), greedy("The capital of France is", max_tokens=0)):
        pieces, whole = run(both(request))
        assert pieces == [whole.text]  # an empty answer is one empty piece, never none
    assert run(both(greedy("The capital of France is")))[0][0]


def test_sampling_is_seeded(tiny):
    def sample(seed: int) -> str:
        params = GenerationParams(max_tokens=12, temperature=1.0, top_p=0.95, seed=seed)
        return run(tiny.generate(GenerateRequest(prompt="Colours:", params=params))).text

    assert sample(7) == sample(7)
    assert len({sample(7), sample(8), sample(9)}) > 1


def test_stop_string_truncates_the_text(tiny):
    first = run(tiny.generate(greedy("A green elephant", max_tokens=24)))
    stripped = first.text.strip()
    stop = stripped[len(stripped) // 2 : len(stripped) // 2 + 2]  # a string the greedy output contains
    assert stop and stop in first.text
    stopped = run(tiny.generate(greedy("A green elephant", max_tokens=24, stop=(stop,))))
    assert stopped.text == first.text[: first.text.index(stop)]
    assert stopped.finish_reason == "stop"
    assert stopped.completion_tokens < first.completion_tokens


def test_chat_requests_go_through_the_template(tiny):
    messages = (Message("system", "Be brief."), Message("user", "What is two plus two?"))
    chat = run(tiny.generate(GenerateRequest(messages=messages, params=GenerationParams(max_tokens=10))))
    rendered = "<|system|>Be brief.\n<|user|>What is two plus two?\n<|assistant|>"
    plain = run(tiny.generate(greedy(rendered, max_tokens=10)))  # the plain path adds <s> itself
    assert chat.text == plain.text
    assert chat.prompt_tokens == plain.prompt_tokens


def naive_scores(reference, context: str, continuation: str) -> tuple[float, int, bool]:
    """Full forward pass on context+continuation, scoring the continuation's tokens."""
    model, tokenizer = reference
    ctx = tokenizer(context)["input_ids"]
    full = tokenizer(context + continuation)["input_ids"]
    assert full[: len(ctx)] == ctx  # the test strings split cleanly at the boundary
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([full])).logits[0].float(), dim=-1)
    rows = logprobs[len(ctx) - 1 : len(full) - 1]
    targets = torch.tensor(full[len(ctx) :])
    total = float(rows[torch.arange(len(targets)), targets].sum())
    return total, len(targets), bool((rows.argmax(dim=-1) == targets).all())


def test_loglikelihood_matches_a_naive_full_forward_and_shares_the_context(tiny, reference):
    context = "Question: What is the capital of France?\nAnswer:"
    # Lengths 1, 5, 3 and 2 tokens: the batched choices are padded to different extents.
    choices = (" Paris", " a green elephant walks", " the lazy dog", " blue fox")
    result = run(tiny.loglikelihood(LoglikelihoodRequest(context=context, continuations=choices)))
    naive_total = 0
    for choice, got in zip(choices, result.scores, strict=True):
        logprob, num_tokens, is_greedy = naive_scores(reference, context, choice)
        assert got.logprob == pytest.approx(logprob, abs=1e-4)
        assert got.num_tokens == num_tokens
        assert got.is_greedy == is_greedy
        naive_total += len(reference[1](context)["input_ids"]) + num_tokens
    assert all(s.logprob < 0 for s in result.scores)
    assert result.tokens_evaluated < naive_total


def test_loglikelihood_moves_the_contexts_trailing_space_onto_the_choice(tiny):
    spaced = LoglikelihoodRequest(context="Answer: ", continuations=("four", "Paris"))
    joined = LoglikelihoodRequest(context="Answer:", continuations=(" four", " Paris"))
    assert run(tiny.loglikelihood(spaced)).scores == run(tiny.loglikelihood(joined)).scores
    empty = run(tiny.loglikelihood(LoglikelihoodRequest(context="Answer:", continuations=("",))))
    assert empty.scores[0] == ContinuationScore(logprob=0.0, num_tokens=0, is_greedy=True)


def test_greedy_continuation_is_flagged_greedy(tiny, reference):
    prompt = "The quick brown"
    text = run(tiny.generate(greedy(prompt, max_tokens=3))).text
    result = run(tiny.loglikelihood(LoglikelihoodRequest(context=prompt, continuations=(text, " Paris"))))
    assert result.scores[0].num_tokens == 3  # the generated text re-tokenises to the 3 generated tokens
    assert result.scores[0].is_greedy
    assert not result.scores[1].is_greedy


def test_identity_follows_the_weights_not_the_directory(tiny, tiny_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_dir, copy)
    same = load(copy)
    assert same.identity == tiny.identity  # a copy in another directory shares the cache
    assert "path" not in same.identity
    build_model(len(build_tokenizer()), seed=1).save_pretrained(copy)  # same shapes, new weights
    changed = load(copy)
    assert changed.identity["content_sha256"] != tiny.identity["content_sha256"]


def test_a_tokenizer_without_chat_template_refuses_chat(tiny_dir, tmp_path):
    copy = tmp_path / "plain"
    shutil.copytree(tiny_dir, copy)
    (copy / "chat_template.jinja").unlink(missing_ok=True)
    config_file = copy / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    config.pop("chat_template", None)
    config_file.write_text(json.dumps(config))
    model = load(copy)
    request = GenerateRequest(messages=(Message("user", "hi"),), params=GenerationParams(max_tokens=2))
    with pytest.raises(ModelUnsupportedError, match="no chat template"):
        run(model.generate(request))
    assert run(model.generate(greedy("hi", max_tokens=2))).completion_tokens == 2


def test_missing_or_non_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(AssayError, match="not found"):
        load(tmp_path / "missing")
    with pytest.raises(AssayError, match=r"config\.json"):
        load(tmp_path)
    with pytest.raises(AssayError, match="needs a model directory"):
        model_backends.get("hf")(ModelSpec(name="x", backend="hf"))
    with pytest.raises(AssayError, match="unknown torch dtype"):
        model_backends.get("hf")(ModelSpec(name="x", backend="hf", args=(("path", "/x"), ("dtype", "int8"))))


def test_the_context_window_caps_generation_and_refuses_overlong_prompts(tiny, reference):
    prompt = "The quick brown fox jumps over the lazy dog. " * 20
    prompt_tokens = len(reference[1](prompt)["input_ids"])
    assert prompt_tokens < 256 < prompt_tokens + 60  # the tiny model's window is 256 positions
    capped = run(tiny.generate(greedy(prompt, max_tokens=60)))
    assert capped.completion_tokens == 256 - prompt_tokens and capped.finish_reason == "length"
    with pytest.raises(ModelRequestError, match="window"):
        run(tiny.generate(greedy(prompt * 2)))
    with pytest.raises(ModelRequestError, match="window"):
        run(tiny.loglikelihood(LoglikelihoodRequest(context=prompt, continuations=(prompt,))))
