"""The options `assay judge` commands share (--db, --json and --progress are in assay.cli.options)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

JudgeOpt = Annotated[
    str | None,
    typer.Option(
        "--judge",
        help="Judge model: a built-in model (smollm2-135m), openai:NAME, llama.cpp:/m.gguf, hf:/dir.",
    ),
]
JudgeArgOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--judge-arg", help="Judge backend option KEY=VALUE (e.g. base_url=http://host/v1). Repeatable."
    ),
]
KindOpt = Annotated[
    str,
    typer.Option(
        "--kind",
        help="Registered judge: llm (a prompted model) or length (baseline: the longer answer wins).",
    ),
]
QuestionsOpt = Annotated[
    Path, typer.Option("--questions", help="Questions JSONL (FastChat question.jsonl fits).")
]
AnswersOpt = Annotated[
    list[Path],
    typer.Option(
        "--answers", help="Answers JSONL, or a directory of them (FastChat model_answer/). Repeatable."
    ),
]
ModelsOpt = Annotated[
    list[str] | None, typer.Option("--model", help="Only these answering models. Repeatable.")
]
TurnsOpt = Annotated[str, typer.Option("--turns", help="all | first | last turn of each question.")]
PromptsOpt = Annotated[
    Path | None,
    typer.Option(
        "--prompts", help="YAML file replacing built-in templates (assay judge prompts lists them)."
    ),
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write every judgement (raw judge text included) as JSONL.")
]
VerdictsOpt = Annotated[
    str,
    typer.Option(
        "--verdicts",
        help="text (parse [[A]]/[[B]]/[[C]] from the judge's answer) | probabilities (A or B by the "
        "judge's token probabilities of [[A]] and [[B]]; needs a backend with log-likelihoods).",
    ),
]
MaxTokensOpt = Annotated[
    int | None, typer.Option("--max-tokens", help="Most tokens the judge may write (default 512).", min=1)
]
MaxAttemptsOpt = Annotated[int, typer.Option(help="Attempts per judge request (retries + 1).", min=1)]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds per judge request before it is retried.")]
