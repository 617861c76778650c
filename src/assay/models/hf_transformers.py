"""Causal language models in-process through Hugging Face transformers (the optional `hf` extra).

torch and transformers are imported only when a model is loaded, so this module imports (and registers
its backend) where the extra is not installed; building a model there gives a one-line AssayError.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from assay.core.errors import AssayError, ModelRequestError, ModelUnsupportedError
from assay.core.protocols import Model
from assay.core.registry import model_backends
from assay.core.types import (
    ContinuationScore,
    GenerateRequest,
    Generation,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    ModelSpec,
)

T = TypeVar("T")
_MISSING_EXTRA = "the transformers backend needs: pip install 'assay[hf]'"
# Top-level files that are not read by from_pretrained; editing them must not invalidate cached answers.
_NOT_MODEL_FILES = re.compile(r"^(\..*|README.*|LICENSE.*|.*\.md)$", re.IGNORECASE)
# A hub repository id, e.g. "HuggingFaceTB/SmolLM2-135M-Instruct".
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
# File digests for this process, keyed by what changes when a file is rewritten.
_DIGESTS: dict[tuple[str, int, int, int, int], str] = {}


def _import_torch() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise AssayError(_MISSING_EXTRA) from None
    return torch, transformers


def _file_digest(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def content_sha256(directory: Path) -> str:
    """One hash over the bytes of every model file in `directory`.

    Weights, config and tokenizer files all change answers, so all of them are in it; the hash is over
    file contents (not sizes or times), so rewritten weights give new cache keys.
    """
    combined = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        if path.is_file() and not _NOT_MODEL_FILES.match(path.name):
            combined.update(f"{path.name}\0{_file_digest(path)}\n".encode())
    return combined.hexdigest()


def resolve_model_dir(path: str, revision: str | None) -> Path:
    """A local model directory; a hub id (`org/name`) not on disk is fetched to the local cache first."""
    local = Path(path).expanduser()
    if not local.exists() and _REPO_ID.match(path) and not path.startswith((".", "~")):
        local = _download(path, revision)
    if not local.is_dir():
        raise AssayError(f"transformers model directory not found: {local}")
    if not (local / "config.json").is_file():
        raise AssayError(f"not a transformers model directory (no config.json): {local}")
    return local.resolve()


def _download(repo_id: str, revision: str | None) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise AssayError(_MISSING_EXTRA) from None
    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"]
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=patterns))
    except Exception as exc:  # network, auth, unknown repo or revision: all the user's to fix
        raise AssayError(f"cannot fetch {repo_id!r} from the Hugging Face hub: {exc}") from None


def torch_dtype_of(name: str) -> Any:
    """`float32`, `bfloat16`, ... as a torch dtype; `auto` lets the checkpoint decide."""
    torch, _ = _import_torch()
    if name == "auto":
        return name
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise AssayError(f"unknown torch dtype {name!r} (try float32, bfloat16, float16 or auto)")
    return dtype


class TransformersModel(Model):
    """A causal LM from a local directory. One request at a time, each in a worker thread.

    `stream` is the protocol's default (the whole answer in one piece): stop strings are cut from the
    decoded text after generation, so pieces streamed earlier could include text that is later cut.
    """

    def __init__(
        self, name: str, directory: Path, *, dtype: str = "float32", revision: str | None = None
    ) -> None:
        self.name = name
        self.directory = directory
        self.dtype = dtype
        self.max_concurrency = 1
        self.identity: dict[str, Any] = {
            # The content hash, not the path: a moved or copied model keeps its cached answers.
            "backend": "hf",
            "content_sha256": content_sha256(directory),
            "dtype": dtype,
        }
        if revision:
            self.identity["revision"] = revision
        self._model: Any = None
        self._tokenizer: Any = None
        # The asyncio lock queues callers without tying up worker threads; the thread lock is what keeps
        # the model single-use, since a cancelled caller releases the first while its thread still runs.
        self._lock = asyncio.Lock()
        self._thread_lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            _, transformers = _import_torch()
            torch_dtype = torch_dtype_of(self.dtype)
            try:
                tokenizer = transformers.AutoTokenizer.from_pretrained(self.directory, local_files_only=True)
                model = transformers.AutoModelForCausalLM.from_pretrained(
                    self.directory, local_files_only=True, **{_dtype_kwarg(transformers): torch_dtype}
                )
            except (OSError, ValueError) as exc:
                raise AssayError(f"transformers cannot load {self.directory}: {exc}") from None
            self._tokenizer, self._model = tokenizer, model.eval()
        return self._model, self._tokenizer

    async def generate(self, request: GenerateRequest) -> Generation:
        async with self._lock:
            return await asyncio.to_thread(self._locked, self._generate_sync, request)

    async def loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        async with self._lock:
            return await asyncio.to_thread(self._locked, self._loglikelihood_sync, request)

    async def aclose(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._locked, self._free)

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._thread_lock:
            return fn(*args)

    def _free(self) -> None:
        self._model = self._tokenizer = None
        gc.collect()

    # -- generation -------------------------------------------------------------------------------

    def _prompt_ids(self, request: GenerateRequest) -> list[int]:
        _, tokenizer = self._load()
        if request.messages is None:
            return list(tokenizer(request.prompt, add_special_tokens=True)["input_ids"])
        if not getattr(tokenizer, "chat_template", None):
            raise ModelUnsupportedError(f"model {self.name!r} has no chat template; send a plain prompt")
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        # The template writes any BOS itself, so the tokenizer must not add another.
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    def _generate_sync(self, request: GenerateRequest) -> Generation:
        torch, transformers = _import_torch()
        model, tokenizer = self._load()
        p = request.params
        prompt = self._prompt_ids(request)
        if p.max_tokens <= 0:
            return Generation(text="", finish_reason="length", prompt_tokens=len(prompt), completion_tokens=0)
        limit = self._window()
        if limit is not None and len(prompt) >= limit:
            raise ModelRequestError(
                f"a prompt of {len(prompt)} tokens fills the model's window of {limit}", retryable=False
            )
        # Generation past the window is cut short, like any other length limit.
        max_new = p.max_tokens if limit is None else min(p.max_tokens, limit - len(prompt))
        config = _generation_config(transformers, model, tokenizer, request, max_new)
        stopping = transformers.StoppingCriteriaList(
            [_stop_criterion(transformers, tokenizer, p.stop, len(prompt))] if p.stop else []
        )
        if p.temperature > 0 and p.seed is not None:
            torch.manual_seed(p.seed)
        with torch.inference_mode():
            output = model.generate(
                torch.tensor([prompt]),
                attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                generation_config=config,
                stopping_criteria=stopping,
            )
        new = output[0, len(prompt) :].tolist()
        eos = _as_set(config.eos_token_id)
        ended_on_eos = bool(new) and new[-1] in eos
        if ended_on_eos:
            new = new[:-1]
        text = tokenizer.decode(new, skip_special_tokens=True)
        cut = min((i for i in (text.find(s) for s in p.stop) if i >= 0), default=-1)
        if cut >= 0:
            text = text[:cut]
        finish = "stop" if cut >= 0 or ended_on_eos else "length"
        return Generation(
            text=text,
            finish_reason=finish,
            prompt_tokens=len(prompt),
            completion_tokens=len(new) + int(ended_on_eos),
        )

    def _window(self) -> int | None:
        limit = getattr(self._model.config, "max_position_embeddings", None)
        return limit if isinstance(limit, int) else None

    # -- log-likelihood ---------------------------------------------------------------------------

    def _loglikelihood_sync(self, request: LoglikelihoodRequest) -> LoglikelihoodResult:
        torch, _ = _import_torch()
        model, tokenizer = self._load()
        if request.messages is not None:
            ctx = self._prompt_ids(GenerateRequest(messages=request.messages))
            conts = [list(tokenizer(c, add_special_tokens=False)["input_ids"]) for c in request.continuations]
        else:
            ctx, conts = split_tokens(tokenizer, request.context, request.continuations)
        longest = max((len(c) for c in conts), default=0)
        if longest == 0:  # nothing to score: an empty continuation has probability one
            return LoglikelihoodResult(scores=tuple(_score([], []) for _ in conts), tokens_evaluated=0)
        limit = self._window()
        if limit is not None and len(ctx) + longest > limit:
            raise ModelRequestError(
                f"{len(ctx) + longest} tokens exceed the model's window of {limit}", retryable=False
            )
        with torch.inference_mode():
            out = model(torch.tensor([ctx]), use_cache=True)
            # Row k predicts token k+1; the context's last row predicts each continuation's first token.
            first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            evaluated = len(ctx)
            # Feed every continuation but its last token (nobody needs what follows it), all choices in
            # one batch on top of the shared context cache. Right padding cannot reach earlier positions
            # through a causal mask, so real tokens see exactly what they would see unpadded.
            width = longest - 1
            rest: Any = None
            if width > 0:
                batch = torch.tensor([c[:-1] + [0] * (width - len(c[:-1])) for c in conts])
                past = _repeat_cache(out.past_key_values, len(conts))
                logits = model(batch, past_key_values=past, use_cache=True).logits
                rest = torch.log_softmax(logits.float(), dim=-1)
                evaluated += len(conts) * width
        scores = []
        for i, tokens in enumerate(conts):
            rows = [first, *(rest[i, j] for j in range(len(tokens) - 1))] if tokens else []
            scores.append(_score(rows, tokens))
        return LoglikelihoodResult(scores=tuple(scores), tokens_evaluated=evaluated)


def split_tokens(
    tokenizer: Any, context: str, continuations: tuple[str, ...]
) -> tuple[list[int], list[list[int]]]:
    """Context tokens (shared by all choices) and each continuation's tokens.

    Rule: trailing spaces of the context move onto each continuation ("Answer: " + "B" -> "Answer:" + " B"),
    as most tokenizers glue a space to the word after it. Then a continuation's tokens are the tail of
    tokenize(context + continuation) after tokenize(context), i.e. what the model reads for the joined text,
    as long as the joined text's tokens split exactly at the context boundary. When a tokenizer merges
    across the boundary, the continuation is tokenised on its own instead, so the context stays shared.
    An empty context starts from the BOS (or else EOS) token so the first continuation token has a predictor.
    """
    stripped = context.rstrip(" ")
    moved = context[len(stripped) :]
    ctx = list(tokenizer(stripped, add_special_tokens=True)["input_ids"])
    if not ctx:
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        if start is None:
            raise ModelUnsupportedError("cannot score after an empty context: no BOS or EOS token")
        ctx = [start]
    conts: list[list[int]] = []
    for cont in continuations:
        if not cont and not moved:
            conts.append([])
            continue
        joined = list(tokenizer(stripped + moved + cont, add_special_tokens=True)["input_ids"])
        if joined[: len(ctx)] == ctx and len(joined) > len(ctx):
            conts.append(joined[len(ctx) :])
        else:
            conts.append(list(tokenizer(moved + cont, add_special_tokens=False)["input_ids"]))
    return ctx, conts


def _score(rows: list[Any], tokens: list[int]) -> ContinuationScore:
    """Sum of the log-probabilities of `tokens`; greedy when each one was the arg-max of its row."""
    logprob = sum((float(row[t]) for row, t in zip(rows, tokens, strict=True)), 0.0)
    greedy = all(int(row.argmax()) == t for row, t in zip(rows, tokens, strict=True))
    return ContinuationScore(logprob=logprob, num_tokens=len(tokens), is_greedy=greedy)


def _repeat_cache(past: Any, n: int) -> Any:
    if isinstance(past, tuple):  # the legacy cache format of older transformers releases
        return tuple(tuple(t.repeat_interleave(n, dim=0) for t in layer) for layer in past)
    past.batch_repeat_interleave(n)
    return past


def _dtype_kwarg(transformers: Any) -> str:
    # `torch_dtype` was renamed `dtype` in transformers 4.56.
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def _as_set(ids: Any) -> set[int]:
    if ids is None:
        return set()
    return {int(ids)} if isinstance(ids, int) else {int(i) for i in ids}


def _generation_config(
    transformers: Any, model: Any, tokenizer: Any, request: GenerateRequest, max_new_tokens: int
) -> Any:
    """A config built from the request alone, so a model's shipped sampling defaults cannot leak in."""
    p = request.params
    eos = model.generation_config.eos_token_id
    if eos is None:
        eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else next(iter(_as_set(eos)), 0)
    sampling = (
        dict(do_sample=True, temperature=p.temperature, top_p=p.top_p, top_k=0)
        if p.temperature > 0
        else dict(do_sample=False)
    )
    return transformers.GenerationConfig(
        max_new_tokens=max_new_tokens, eos_token_id=eos, pad_token_id=pad, **sampling
    )


def _stop_criterion(transformers: Any, tokenizer: Any, stops: tuple[str, ...], prompt_len: int) -> Any:
    """Stops once the generated text (never the prompt) contains any stop string."""

    class StopOnStrings(transformers.StoppingCriteria):  # type: ignore[misc]
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            import torch

            done = [
                any(s in tokenizer.decode(row[prompt_len:], skip_special_tokens=True) for s in stops)
                for row in input_ids.tolist()
            ]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StopOnStrings()


@model_backends.register("hf")
def build_hf(spec: ModelSpec) -> TransformersModel:
    path = spec.arg("path")
    if not path:
        raise AssayError(f"model {spec.name!r}: the hf backend needs a model directory (hf:/path/to/dir)")
    revision = spec.arg("revision")
    dtype = str(spec.arg("dtype", "float32"))
    torch_dtype_of(dtype)  # fail at build time, not on the first request
    directory = resolve_model_dir(str(path), revision)
    return TransformersModel(spec.name, directory, dtype=dtype, revision=revision)
