"""Planted contamination: a corpus with exact and lightly edited copies of some GSM8K and HumanEval items
among unrelated text, in plain, gzip, zstd-JSONL and Parquet files. Every planted item is found, no
other item is, and each hit points at the right file, line and byte."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

import assay
from assay.contamination.corpus import file_format
from assay.contamination.items import ScanSettings, build_index, build_tasks
from assay.contamination.minhash import MinHasher
from assay.contamination.normalize import normalise, normalise_text
from assay.contamination.scan import Scanner
from assay.core.errors import AssayError

SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "vos", "dal", "pe", "shi", "gor", "an", "ul"]
# Real English glue words, so unrelated lines share short phrases with the items but no 13-gram.
GLUE = ["the", "of", "and", "to", "how", "many", "does", "she", "he", "have", "each", "day", "in", "a"]


def filler(rng: random.Random, lines: int) -> list[str]:
    vocab = [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(3000)
    ] + GLUE * 40
    return [" ".join(rng.choice(vocab) for _ in range(rng.randint(4, 40))) for _ in range(lines)]


def edit(text: str, rng: random.Random) -> str:
    """A light edit: different case and punctuation, two words swapped for others, spaces doubled."""
    words = text.replace(",", " ;").replace("?", " ?!").split(" ")
    for at in (len(words) // 3, 2 * len(words) // 3):
        words[at] = "zorblat"
    return "  ".join(words).upper() if rng.random() < 0.5 else "  ".join(words).title()


@pytest.fixture(scope="module")
def tasks_samples():
    found = {t.name: list(t.samples()) for t in build_tasks(["gsm8k", "humaneval"])}
    return found["gsm8k"], found["humaneval"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, tasks_samples):
    gsm, human = tasks_samples
    rng = random.Random(7)
    root = tmp_path_factory.mktemp("corpus")
    expected: dict[tuple[str, str], dict] = {}  # (task, id) -> where it was planted

    # plain text: exact GSM8K copy inside a line, an edited copy, an exact multi-line HumanEval prompt
    lines = filler(rng, 8000)
    plants = {
        1500: ("gsm8k", gsm[3], "prefix words here " + gsm[3].input + " and more"),
        4000: ("gsm8k", gsm[7], edit(gsm[7].input, rng)),
        6000: ("humaneval", human[2], human[2].input),
    }
    for at in sorted(plants, reverse=True):
        lines.insert(at, plants[at][2])
    # a decoy: the first eight words of an item that is not planted (shorter than a 13-gram)
    lines.insert(100, " ".join(gsm[900].input.split()[:8]))
    text = "\n".join(lines) + "\n"
    (root / "a.txt").write_text(text, encoding="utf-8")
    for at, (task, sample, _) in plants.items():
        above = sum(1 for p in plants if p < at) + 1  # plants inserted above it, and the decoy
        span = plants[at][2].count("\n") + 1
        expected[(task, sample.id)] = {"source": "a.txt", "line": at + above + 1, "span": span, "raw": text}

    # gzip: an exact GSM8K copy and an edited HumanEval prompt (function renamed, a docstring word changed)
    lines = filler(rng, 6000)
    renamed = human[10].input.replace(human[10].input.split("def ")[1].split("(")[0], "renamed_fn", 1)
    lines[2000:2000] = [gsm[50].input, renamed.replace(" the ", " a ", 1)]
    gz_text = "\n".join(lines) + "\n"
    (root / "b.txt.gz").write_bytes(gzip.compress(gz_text.encode()))
    expected[("gsm8k", gsm[50].id)] = {"source": "b.txt.gz", "line": 2001, "raw": gz_text}
    span = renamed.count("\n") + 1
    expected[("humaneval", human[10].id)] = {"source": "b.txt.gz", "line": 2002, "span": span, "raw": gz_text}

    # zstd JSONL: records with a "text" field; one exact, one edited copy
    records = [{"id": i, "text": t} for i, t in enumerate(filler(rng, 3000))]
    records[1200]["text"] = gsm[400].input
    records[2500]["text"] = "Q: " + edit(gsm[120].input, rng)
    jsonl = "".join(json.dumps(r) + "\n" for r in records)
    (root / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(jsonl.encode()))
    for number, sample in ((1201, gsm[400]), (2501, gsm[120])):
        expected[("gsm8k", sample.id)] = {"source": "c.jsonl.zst", "line": number, "raw": jsonl}

    # Parquet: one exact copy in row 800
    texts = filler(rng, 2000)
    texts[799] = gsm[600].input
    pq.write_table(pa.table({"text": texts}), root / "d.parquet", row_group_size=500)
    expected[("gsm8k", gsm[600].id)] = {"source": "d.parquet", "line": 800, "raw": None}
    return root, expected


@pytest.fixture(scope="module")
def scanned(corpus, tasks_samples):
    root, _ = corpus
    gsm, human = tasks_samples
    index = build_index([("gsm8k", gsm), ("humaneval", human)], ScanSettings())
    files = sorted(root.iterdir())
    return index, Scanner(index).scan_files(files)


def test_normalising_folds_case_punctuation_and_quotes_without_moving_a_byte():
    raw = "Janet’s ducks, LAY 16 eggs—per day!\n".encode()
    out = normalise(raw)
    assert len(out) == len(raw)
    assert out.split() == [b"janet", b"s", b"ducks", b"lay", b"16", b"eggs", b"per", b"day"]
    assert normalise_text("Janet's ducks").split() == normalise_text("JANET’S   ducks").split()


def test_every_planted_item_is_found_and_nothing_else(corpus, scanned):
    _, expected = corpus
    index, totals = scanned
    found = {(index.items[i].task, index.items[i].sample_id) for i, _ in totals.first}
    assert found == set(expected)
    ngram_found = {(h.task, h.sample_id) for (_, kind), h in totals.first.items() if kind == "ngram"}
    # Two edits in a 30-word question leave no 13 words in a row: only the near-duplicate test sees it.
    assert ngram_found == set(expected) - {("gsm8k", "121")}
    near = {(h.task, h.sample_id) for (_, kind), h in totals.first.items() if kind == "near_duplicate"}
    # one-line documents that are (edited) copies are near-duplicates too; multi-line prompts are not
    assert {("gsm8k", "8"), ("gsm8k", "51"), ("gsm8k", "401"), ("gsm8k", "121")} <= near


def test_each_hit_points_at_its_file_line_and_byte(corpus, scanned):
    _, expected = corpus
    _, totals = scanned
    for hit in totals.first.values():
        want = expected[(hit.task, hit.sample_id)]
        assert hit.source.endswith(want["source"])
        # a multi-line prompt: the line where the first shared 13-gram starts
        assert want["line"] <= hit.line < want["line"] + want.get("span", 1), hit
        if want["raw"] is None:
            continue  # Parquet: a row number, no byte offset
        raw = want["raw"].encode()
        if file_format(Path(hit.source))[0] == "jsonl":
            line_start = sum(len(x) for x in raw.splitlines(keepends=True)[: hit.line - 1])
            assert hit.offset == line_start
            continue
        assert raw.count(b"\n", 0, hit.offset) == hit.line - 1
        said = [w.encode() for w in hit.evidence.split()][:-1]  # the last word may be cut short
        assert normalise(raw[hit.offset : hit.offset + 400]).split()[: len(said)] == said


def test_tiny_blocks_in_two_processes_find_the_same_hits_as_big_ones_in_one(corpus, scanned):
    root, _ = corpus
    index, totals = scanned
    small = Scanner(index).scan_files([root / "a.txt", root / "b.txt.gz"], block_bytes=4096, workers=2)
    big = {k: h for k, h in totals.first.items() if h.source.endswith(("a.txt", "b.txt.gz"))}
    assert {k: (h.line, h.offset) for k, h in small.first.items() if k[1] == "ngram"} == {
        k: (h.line, h.offset) for k, h in big.items() if k[1] == "ngram"
    }


def test_minhash_estimates_jaccard():
    hasher = MinHasher(256)
    a = np.arange(0, 100, dtype=np.uint64)
    b = np.arange(50, 150, dtype=np.uint64)  # Jaccard 50 / 150
    agree = float(np.mean(hasher.signature(a) == hasher.signature(b)))
    assert abs(agree - 1 / 3) < 0.1


def test_a_missing_corpus_or_text_field_is_one_line(tmp_path):
    with pytest.raises(AssayError, match="does not exist"):
        assay.contamination_scan([tmp_path / "nope.txt"], ["gsm8k"], save=False, store=tmp_path / "s.db")
    bad = tmp_path / "x.jsonl"
    bad.write_text(json.dumps({"body": "hello"}) + "\n")
    with pytest.raises(AssayError, match=re.escape("no text field 'text'")):
        assay.contamination_scan([bad], ["humaneval"], save=False, store=tmp_path / "s.db")
