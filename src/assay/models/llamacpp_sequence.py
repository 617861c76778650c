"""One generation inside a shared llama.cpp context: its sampler and its stopping rules.

Both mirror llama-cpp-python's own `create_completion` (same sampler chain, same stop-string and
multi-byte rules, same `max_tokens` clamp), so a batched greedy answer is the sequential answer.
"""

from __future__ import annotations

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


@dataclass
class CompletionState:
    """The text so far of one sequence, and whether it has finished (and why)."""

    prompt: list[int]
    stops: tuple[bytes, ...]
    max_tokens: int
    tokens: list[int] = field(default_factory=list)
    text: bytes = b""
    finish_reason: str | None = None
    _multibyte_fix: int = 0

    def feed(self, llm: Any, token: int, is_eog: bool) -> bool:
        """Take the sampled token; True once the sequence is finished."""
        if is_eog:
            self.text = llm.detokenize(self.tokens, prev_tokens=self.prompt)
            self.finish_reason = "stop"
            return True
        self.tokens.append(token)
        all_text: bytes = llm.detokenize(self.tokens, prev_tokens=self.prompt)
        # Hold back while the text ends inside a multi-byte UTF-8 character (as llama-cpp-python does).
        for k, char in enumerate(all_text[-3:]):
            k = 3 - k
            for num, pattern in ((2, 192), (3, 224), (4, 240)):
                if num > k and pattern & char == pattern:
                    self._multibyte_fix = num - k
        if self._multibyte_fix > 0:
            self._multibyte_fix -= 1
            return False
        hits = [s for s in self.stops if s in all_text]
        if hits:
            self.text = all_text[: all_text.index(hits[0])]
            self.finish_reason = "stop"
            return True
        if len(self.tokens) >= self.max_tokens:
            self.text = all_text
            self.finish_reason = "length"
            return True
        return False

    def answer_text(self) -> str:
        return self.text.decode("utf-8", errors="ignore")


def score_tokens(logits: np.ndarray, tokens: list[int]) -> ContinuationScore:
    """Sum of log-softmax at each continuation token; greedy if each was the arg-max."""
    if not tokens:
        return ContinuationScore(logprob=0.0, num_tokens=0, is_greedy=True)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    idx = np.arange(len(tokens))
    chosen = log_probs[idx, tokens]
    greedy = bool(np.all(log_probs.argmax(axis=1) == np.asarray(tokens)))
    return ContinuationScore(logprob=float(chosen.sum()), num_tokens=len(tokens), is_greedy=greedy)
