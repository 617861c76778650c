"""Judges: anything that compares two answers (and grades one). Any assay model can be one.

`assay.core.registry.judges` is the registry: name -> factory(model, templates) -> Judge. A user adds a
judge from their own package with `@judges.register("my-judge")` without editing ours.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

from assay.core.errors import ConfigError, ModelRequestError, ModelUnsupportedError
from assay.core.protocols import Model
from assay.core.registry import judges
from assay.core.types import GenerateRequest, GenerationParams, LoglikelihoodRequest, Message
from assay.judge.parse import parse_pairwise_verdict, parse_rating
from assay.judge.prompts import BUILTIN_TEMPLATES, PromptTemplate
from assay.judge.render import pairwise_prompt, single_prompt
from assay.judge.types import Answer, Grade, OrderedJudgement, Question, Verdict


@runtime_checkable
class Judge(Protocol):
    name: str
    max_concurrency: int

    async def judge_order(
        self, question: Question, first: Answer, second: Answer, turn: int
    ) -> OrderedJudgement: ...

    async def grade(self, question: Question, answer: Answer, turn: int) -> Grade: ...

    async def preference(self, question: Question, first: Answer, second: Answer, turn: int) -> float | None:
        """P(first is better) from token probabilities; None when the judge cannot give one."""
        ...

    def identity(self) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


# factory(model, templates, **options) -> Judge
JudgeFactory = Callable[..., Judge]
VerdictSource = Literal["text", "probabilities"]


class LLMJudge:
    """A model prompted with assay's (or the user's) templates; verdicts parsed strictly."""

    def __init__(
        self,
        model: Model,
        templates: dict[str, PromptTemplate] | None = None,
        *,
        max_tokens: int = 512,
        verdicts: VerdictSource = "text",
    ) -> None:
        """`verdicts="probabilities"`: each ordered verdict is A when P([[A]]) >= P([[B]]) after the
        direct-verdict prompt (no tie); for small judges that do not write markers reliably."""
        self.model = model
        self.name = model.name
        self.max_concurrency = model.max_concurrency
        self.templates = dict(templates or BUILTIN_TEMPLATES)
        self.params = GenerationParams(max_tokens=max_tokens, temperature=0.0)
        self._no_probabilities = False
        self.verdicts = verdicts

    def identity(self) -> dict[str, Any]:
        return {
            "kind": "llm",
            "model": self.model.identity,
            "prompts": {n: t.version for n, t in sorted(self.templates.items())},
        }

    async def _ask(self, template: PromptTemplate, values: dict[str, str]) -> tuple[str, str | None]:
        system, user = template.render(values)
        messages = ((Message("system", system),) if system else ()) + (Message("user", user),)
        try:
            out = await self.model.generate(GenerateRequest(messages=messages, params=self.params))
        except ModelRequestError as exc:
            return "", f"judge request failed: {exc.reason}"
        return out.text, None

    async def judge_order(
        self, question: Question, first: Answer, second: Answer, turn: int
    ) -> OrderedJudgement:
        if self.verdicts == "probabilities":
            return await self._verdict_from_probability(question, first, second, turn)
        name, values = pairwise_prompt(question, first, second, turn)
        text, failure = await self._ask(self.templates[name], values)
        parsed = parse_pairwise_verdict(text) if failure is None else None
        return OrderedJudgement(
            first=first.model,
            second=second.model,
            verdict=parsed.verdict if parsed else None,
            method=parsed.method if parsed else "none",
            raw=text,
            error=failure or (parsed.error if parsed else None),
        )

    async def _verdict_from_probability(
        self, question: Question, first: Answer, second: Answer, turn: int
    ) -> OrderedJudgement:
        try:
            p = await self.preference(question, first, second, turn)
        except ModelRequestError as exc:
            return OrderedJudgement(
                first.model, second.model, None, "none", "", f"judge request failed: {exc.reason}"
            )
        if p is None:
            raise ConfigError(f"judge {self.name!r} gives no token probabilities; use text verdicts")
        verdict: Verdict = "A" if p >= 0.5 else "B"
        return OrderedJudgement(first.model, second.model, verdict, "probability", f"P(A)={p:.4f}", None, p)

    async def grade(self, question: Question, answer: Answer, turn: int) -> Grade:
        name, values = single_prompt(question, answer, turn)
        text, failure = await self._ask(self.templates[name], values)
        parsed = parse_rating(text) if failure is None else None
        return Grade(
            question_id=question.id,
            model=answer.model,
            turn=turn,
            judge=self.name,
            rating=parsed.rating if parsed else None,
            method=parsed.method if parsed else "none",
            raw=text,
            error=failure or (parsed.error if parsed else None),
        )

    async def preference(self, question: Question, first: Answer, second: Answer, turn: int) -> float | None:
        """Softmax over the log-likelihoods of "[[A]]" and "[[B]]" after the direct-verdict prompt."""
        if self._no_probabilities:
            return None
        _, values = pairwise_prompt(question, first, second, turn, flatten=True)
        system, user = self.templates["pairwise-direct"].render(values)
        request = LoglikelihoodRequest(
            context=user,
            continuations=("[[A]]", "[[B]]"),
            messages=(Message("system", system), Message("user", user)),
        )
        try:
            result = await self.model.loglikelihood(request)
        except ModelUnsupportedError:
            self._no_probabilities = True
            return None
        la, lb = (s.logprob for s in result.scores)
        top = max(la, lb)
        return math.exp(la - top) / (math.exp(la - top) + math.exp(lb - top))

    async def aclose(self) -> None:
        await self.model.aclose()


class LengthJudge:
    """A baseline with a pure length bias: the longer last-turn answer wins; equal lengths tie."""

    name = "length"
    max_concurrency = 8

    def identity(self) -> dict[str, Any]:
        return {"kind": "length"}

    async def judge_order(
        self, question: Question, first: Answer, second: Answer, turn: int
    ) -> OrderedJudgement:
        a, b = len(first.turns[turn - 1]), len(second.turns[turn - 1])
        verdict: Verdict = "A" if a > b else "B" if b > a else "tie"
        return OrderedJudgement(first.model, second.model, verdict, "length", f"{a} vs {b} characters")

    async def grade(self, question: Question, answer: Answer, turn: int) -> Grade:
        size = len(answer.turns[turn - 1])
        rating = float(min(10, max(1, 1 + size // 200)))
        return Grade(question.id, answer.model, turn, self.name, rating, "length", f"{size} characters")

    async def preference(self, question: Question, first: Answer, second: Answer, turn: int) -> float | None:
        return None

    async def aclose(self) -> None:
        return None


@judges.register("llm")
def llm_judge(model: Model | None, templates: dict[str, PromptTemplate] | None, **options: Any) -> Judge:
    if model is None:
        raise ConfigError("the llm judge needs a model: --judge MODEL (e.g. smollm2-135m)")
    return LLMJudge(model, templates, **options)


@judges.register("length")
def length_judge(model: Model | None, templates: dict[str, PromptTemplate] | None, **options: Any) -> Judge:
    return LengthJudge()
