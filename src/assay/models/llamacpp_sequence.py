"""One generation inside a shared llama.cpp context: its sampler and its stopping rules.

The sampler chain, the stop strings and the `max_tokens` clamp follow llama-cpp-python's
`create_completion`, so a batched greedy answer is the sequential answer. Where a UTF-8 character is
split over tokens, the rule for when to look for stop strings is our own (see `CompletionState`): it can
finish one token earlier than llama-cpp-python, whose hold-back counter may outlast the character.
"""

from __future__ import annotations

import codecs
import ctypes
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.core.types import ContinuationScore, GenerationParams

# llama-cpp-python's defaults for what assay does not set.
_MIN_P = 0.05
_TOP_K = 40
_REPEAT_PENALTY = 1.0  # `Llama.create_completion` and `create_chat_completion` both pass 1.0


def build_sampler(llm: Any, params: GenerationParams) -> Any:
    """The sampler chain `Llama._init_sampler` builds for these parameters (fresh per request)."""
    from llama_cpp._internals import LlamaSampler

    sampler = LlamaSampler()
    sampler.add_penalties(
        n_vocab=llm.n_vocab(),
        penalty_last_n=llm.last_n_tokens_size,
        penalty_repeat=_REPEAT_PENALTY,
        penalty_freq=0.0,
        penalty_present=0.0,
    )
    if params.temperature == 0:
        sampler.add_greedy()
        return sampler
    seed = params.seed if params.seed is not None else random.randrange(2**32)
    sampler.add_top_k(_TOP_K)
    sampler.add_typical(1.0, 1)
    sampler.add_top_p(params.top_p, 1)
    sampler.add_min_p(_MIN_P, 1)
    sampler.add_temp(params.temperature)
    sampler.add_dist(seed)
    return sampler


def clamp_max_tokens(max_tokens: int, prompt_len: int, n_ctx: int) -> int:
    """llama-cpp-python's rule: unlimited or too many means "up to the end of the window"."""
    if max_tokens <= 0 or max_tokens + prompt_len >= n_ctx:
        return n_ctx - prompt_len
    return max_tokens


def token_bytes(llm: Any, token: int, *, first: bool) -> bytes:
    """The bytes a generated token adds to the text (specials render as nothing, as in completions).

    The first token renders as a whole text would (llama.cpp drops a leading BOS's space), later ones alone.
    """
    import llama_cpp

    if first:
        return bytes(llm.detokenize([token]))
    buffer = ctypes.create_string_buffer(64)
    size = llama_cpp.llama_token_to_piece(llm._model.vocab, token, buffer, len(buffer), 0, False)
    return buffer.raw[: max(size, 0)]


@dataclass
class CompletionState:
    """The text so far of one sequence, and whether it has finished (and why).

    Stop strings and `max_tokens` are judged only at character boundaries: a byte-level tokenizer may
    split one UTF-8 character over several tokens, and a check in the middle of a character would cut
    it (or miss a stop string that ends in it). An incremental UTF-8 decoder holds the bytes of an
    unfinished character; while it holds any, the sequence goes on.
    """

    prompt: list[int]
    stops: tuple[bytes, ...]
    max_tokens: int
    window: int = 0  # the context window: a sequence never grows past it (0: no limit)
    tokens: list[int] = field(default_factory=list)
    generated: bytes = b""  # every byte so far, stop strings included
    text: bytes = b""  # the answer, once finished
    finish_reason: str | None = None
    _utf8: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace")
    )
    _searched: int = 0  # bytes of `generated` already searched for stop strings

    def feed(self, token: int, piece: bytes, *, is_eog: bool = False) -> bool:
        """Take the sampled token and its bytes; True once the sequence is finished."""
        if is_eog:
            return self._finish("stop", self.generated)
        self.tokens.append(token)
        self.generated += piece
        full = len(self.prompt) + len(self.tokens) >= self.window > 0
        if self._inside_character(piece) and not full:
            return False
        stop_at = self._first_stop()
        if stop_at is not None:
            return self._finish("stop", self.generated[:stop_at])
        if len(self.tokens) >= self.max_tokens or full:
            return self._finish("length", self.generated)
        return False

    def _inside_character(self, piece: bytes) -> bool:
        """Feed the new bytes to the decoder; True while it still waits for the end of a character."""
        self._utf8.decode(piece)  # bytes that cannot start a character are replaced, not waited for
        pending, _ = self._utf8.getstate()
        return bool(pending)

    def _first_stop(self) -> int | None:
        """Where the answer ends: the first stop string (in the order given) that the text now holds.

        A stop string absent at the last search can only appear in bytes added since, so only the tail
        that overlaps them is searched again.
        """
        found = None
        for stop in self.stops:
            start = max(0, self._searched - len(stop) + 1)
            index = self.generated.find(stop, start)
            if index >= 0:
                found = index
                break
        self._searched = len(self.generated)
        return found

    def _finish(self, reason: str, text: bytes) -> bool:
        self.text = text
        self.finish_reason = reason
        return True

    def answer_text(self) -> str:
        return self.text.decode("utf-8", errors="ignore")


def score_tokens(logits: np.ndarray, tokens: list[int], *, per_token: bool = False) -> ContinuationScore:
    """Sum of log-softmax at each continuation token; greedy if each was the arg-max. With `per_token`,
    also each token's log-probability and the mean and spread of log p under the model's distribution
    at that position (what Min-K%++ normalises by)."""
    if not tokens:
        return ContinuationScore(logprob=0.0, num_tokens=0, is_greedy=True)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    idx = np.arange(len(tokens))
    chosen = log_probs[idx, tokens]
    greedy = bool(np.all(log_probs.argmax(axis=1) == np.asarray(tokens)))
    if not per_token:
        return ContinuationScore(logprob=float(chosen.sum()), num_tokens=len(tokens), is_greedy=greedy)
    probs = np.exp(log_probs)
    means = (probs * log_probs).sum(axis=1)
    stds = np.sqrt(np.maximum((probs * np.square(log_probs - means[:, None])).sum(axis=1), 0.0))
    return ContinuationScore(
        logprob=float(chosen.sum()),
        num_tokens=len(tokens),
        is_greedy=greedy,
        token_logprobs=tuple(float(v) for v in chosen),
        token_means=tuple(float(v) for v in means),
        token_stds=tuple(float(v) for v in stds),
    )
