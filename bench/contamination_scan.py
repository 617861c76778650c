"""Contamination: corpus-scan throughput, and Min-K% on text the built-in model has certainly seen.

Scan: a generated corpus (default 1 GB of plain text under /tmp, never in the repo: random words drawn
Zipf-like from a 50,000-word synthetic vocabulary plus English glue words, lines of 4-60 words, and 20
planted GSM8K/HumanEval items) is scanned for all GSM8K and HumanEval items by

- assay: `assay.contamination.scan.Scanner` (13-gram hash set + MinHash LSH near-duplicates), and
- a baseline in plain Python, as decontamination scripts are usually written (lm-eval's janitor, the
  GPT-3 description): per line, str.translate to lowercase and fold punctuation, split, and look every
  13-word tuple up in a Python set of the items' 13-grams (exact n-grams only, no near-duplicates).

Both read the same bytes; the baseline runs on the first `--baseline-mb` of the file (it is slow), assay
on that same prefix (for the ratio) and on the whole file (for the throughput). Both must find the same
planted items in the prefix.

Min-K%: smollm2-135m scores widely reproduced public-domain passages (written here from memory: US
Declaration of Independence opening, Genesis 1:1-5 KJV, the Gettysburg Address, the Lord's Prayer KJV,
Hamlet's soliloquy opening, Psalm 23 KJV) against assay's 20 fresh paragraphs of December 2026, through
the engine like any run. Reported as measured, whatever it shows.

    python bench/contamination_scan.py [--corpus-mb 1024] [--baseline-mb 64] [--skip-min-k]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import tempfile
import time
from pathlib import Path

import numpy as np

import assay
from assay.contamination.items import ScanSettings, build_index, build_tasks
from assay.contamination.scan import Scanner

PUBLIC_DOMAIN = {
    "declaration": (
        "When in the Course of human events, it becomes necessary for one people to dissolve the political "
        "bands which have connected them with another, and to assume among the powers of the earth, the "
        "separate and equal station to which the Laws of Nature and of Nature's God entitle them, a decent "
        "respect to the opinions of mankind requires that they should declare the causes which impel them "
        "to the separation. We hold these truths to be self-evident, that all men are created equal, that "
        "they are endowed by their Creator with certain unalienable Rights, that among these are Life, "
        "Liberty and the pursuit of Happiness."
    ),
    "genesis": (
        "In the beginning God created the heaven and the earth. And the earth was without form, and void; "
        "and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the "
        "waters. And God said, Let there be light: and there was light. And God saw the light, that it was "
        "good: and God divided the light from the darkness. And God called the light Day, and the darkness "
        "he called Night. And the evening and the morning were the first day."
    ),
    "gettysburg": (
        "Four score and seven years ago our fathers brought forth on this continent, a new nation, "
        "conceived in Liberty, and dedicated to the proposition that all men are created equal. Now we are "
        "engaged in a great civil war, testing whether that nation, or any nation so conceived and so "
        "dedicated, can long endure. We are met on a great battle-field of that war. We have come to "
        "dedicate a portion of that field, as a final resting place for those who here gave their lives "
        "that that nation might live. It is altogether fitting and proper that we should do this."
    ),
    "lords_prayer": (
        "Our Father which art in heaven, Hallowed be thy name. Thy kingdom come. Thy will be done in earth, "
        "as it is in heaven. Give us this day our daily bread. And forgive us our debts, as we forgive our "
        "debtors. And lead us not into temptation, but deliver us from evil: For thine is the kingdom, and "
        "the power, and the glory, for ever. Amen."
    ),
    "hamlet": (
        "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer The slings "
        "and arrows of outrageous fortune, Or to take arms against a sea of troubles And by opposing end "
        "them. To die: to sleep; No more; and by a sleep to say we end The heart-ache and the thousand "
        "natural shocks That flesh is heir to, 'tis a consummation Devoutly to be wish'd."
    ),
    "psalm23": (
        "The Lord is my shepherd; I shall not want. He maketh me to lie down in green pastures: he leadeth "
        "me beside the still waters. He restoreth my soul: he leadeth me in the paths of righteousness for "
        "his name's sake. Yea, though I walk through the valley of the shadow of death, I will fear no "
        "evil: for thou art with me; thy rod and thy staff they comfort me."
    ),
}
N = 13


def generate(path: Path, megabytes: int, planted: list[str]) -> None:
    """Random text, written in 16 MB pieces (vectorised); `planted` lines spread through the file."""
    rng = np.random.default_rng(0)
    letters = np.array(list(string.ascii_lowercase))
    vocab = ["".join(rng.choice(letters, size=int(n))) for n in rng.integers(2, 11, size=50_000)]
    glue = ["the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "with", "was", "on"]
    glue += ["he", "she", "they", "how", "many", "each"]
    words = np.array(vocab + glue * 500)
    weights = 1.0 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    pieces = max(1, megabytes // 16)
    with path.open("wb") as out:
        for p in range(pieces):
            drawn = words[rng.choice(len(words), size=2_700_000, p=weights)]
            data = bytearray(" ".join(drawn.tolist()).encode())
            arr = np.frombuffer(data, dtype=np.uint8)
            spaces = np.flatnonzero(arr == 0x20)
            arr[spaces[rng.random(len(spaces)) < 1 / 30]] = 0x0A  # lines of ~30 words
            del arr, spaces  # release the buffer so planted lines can be inserted
            for text in planted[p::pieces]:
                at = data.find(b"\n", int(rng.integers(0, len(data))))
                data[at + 1 : at + 1] = text.replace("\n", " ").encode() + b"\n"
            out.write(bytes(data) + b"\n")


def baseline_scan(
    path: Path, limit_bytes: int, ngrams: set[tuple[str, ...]]
) -> tuple[set[tuple[str, ...]], int]:
    """The plain-Python scan: per line, translate, split, look up every 13-tuple in a set."""
    table = str.maketrans(
        string.ascii_uppercase + string.punctuation, string.ascii_lowercase + " " * len(string.punctuation)
    )
    found: set[tuple[str, ...]] = set()
    read = 0
    with path.open("r", encoding="utf-8") as f:
        for line in f:
            read += len(line)
            if read > limit_bytes:
                break
            tokens = line.translate(table).split()
            for i in range(len(tokens) - N + 1):
                gram = tuple(tokens[i : i + N])
                if gram in ngrams:
                    found.add(gram)
    return found, read


def prefix_file(path: Path, limit_bytes: int) -> Path:
    """The first `limit_bytes` of the corpus, cut at a line end, as its own file (same bytes for both)."""
    out = path.with_name(path.stem + f".prefix{limit_bytes >> 20}.txt")
    with path.open("rb") as f:
        data = f.read(limit_bytes)
    out.write_bytes(data[: data.rfind(b"\n") + 1])
    return out


def scan_bench(args: argparse.Namespace) -> dict:
    gsm, human = (list(t.samples()) for t in build_tasks(["gsm8k", "humaneval"]))
    rng = random.Random(1)
    planted = [s.input for s in rng.sample(gsm, 14)] + [s.input for s in rng.sample(human, 6)]
    corpus = Path(args.workdir) / f"corpus_{args.corpus_mb}mb.txt"
    if not corpus.exists() or corpus.stat().st_size < (args.corpus_mb << 20) * 0.9:
        started = time.perf_counter()
        generate(corpus, args.corpus_mb, planted)
        took = time.perf_counter() - started
        print(f"generated {corpus} ({corpus.stat().st_size / 1e6:,.0f} MB) in {took:.0f} s", flush=True)
    started = time.perf_counter()
    index = build_index([("gsm8k", gsm), ("humaneval", human)], ScanSettings())
    index_s = time.perf_counter() - started

    prefix = prefix_file(corpus, args.baseline_mb << 20)
    mine = Scanner(index).scan_files([prefix])
    mine_parallel = Scanner(index).scan_files([prefix], workers=args.workers)
    grams = {
        tuple(w.decode() for w in index.ngram_words(i, f, at))
        for owners in index.ngram_owners.values()
        for i, f, at in owners
    }
    started = time.perf_counter()
    theirs, read = baseline_scan(prefix, prefix.stat().st_size + 1, grams)
    base_s = time.perf_counter() - started
    base_items = {i for i, f, at in (o for os_ in index.ngram_owners.values() for o in os_)
                  if tuple(w.decode() for w in index.ngram_words(i, f, at)) in theirs}  # fmt: skip
    mine_items = {i for (i, kind) in mine.first if kind == "ngram"}

    full = Scanner(index).scan_files([corpus], workers=args.workers)
    flagged = {(index.items[i].task, index.items[i].sample_id) for i, _ in full.first}
    return {
        "corpus_mb": round(corpus.stat().st_size / 1e6, 1),
        "index_s": round(index_s, 2),
        "prefix_mb": round(prefix.stat().st_size / 1e6, 1),
        "assay_prefix_mb_s": round(mine.mb_per_s, 2),
        "baseline_prefix_mb_s": round(read / 1e6 / base_s, 2),
        "ratio_1_process": round(mine.mb_per_s / (read / 1e6 / base_s), 2),
        f"assay_prefix_{args.workers}_processes_mb_s": round(mine_parallel.mb_per_s, 2),
        f"ratio_{args.workers}_processes": round(mine_parallel.mb_per_s / (read / 1e6 / base_s), 2),
        "same_ngram_items_on_prefix": mine_items == base_items,
        "prefix_items_found": len(mine_items),
        f"assay_full_{args.workers}_processes_mb_s": round(full.mb_per_s, 2),
        "assay_full_s": round(full.seconds, 1),
        "planted": len(planted),
        "flagged_in_full": len(flagged),
    }


def min_k_bench(store: Path) -> dict:
    texts = Path(tempfile.mkdtemp()) / "seen.jsonl"
    texts.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in PUBLIC_DOMAIN.items()))
    seen = assay.contamination_min_k("smollm2-135m", [], reference=str(texts), store=store)
    fresh = assay.contamination_min_k("smollm2-135m", [], store=store)
    out: dict = {}
    for label, report in (("public_domain", seen), ("fresh_2026", fresh)):
        for row in report.rows:
            d = row.scores
            out[f"{label}.{row.metric}"] = {"n": d.n, "q25": d.q25, "median": d.median, "q75": d.q75}
    with assay.open_store(store) as opened:
        per_text = {}
        for report in (seen, fresh):
            for r in opened.results(report.run_id):
                per_text[r.sample_id] = {k: round(v, 3) for k, v in (r.scores or {}).items()}
    values = {label: {m: [] for m in ("min_k", "min_k_plus")} for label in ("seen", "fresh")}
    for sid, scores in per_text.items():
        label = "seen" if sid in PUBLIC_DOMAIN else "fresh"
        for m in values[label]:
            if m in scores:
                values[label][m].append(scores[m])
    from assay.contamination.membership import auc

    out["auc_seen_vs_fresh"] = {
        m: round(auc(values["seen"][m], values["fresh"][m]), 3) for m in values["seen"]
    }
    out["public_domain_per_text"] = {k: per_text[k] for k in PUBLIC_DOMAIN}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-mb", type=int, default=1024)
    parser.add_argument("--baseline-mb", type=int, default=64)
    parser.add_argument("--workdir", default="/tmp/assay-contamination-bench")
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel scans")
    parser.add_argument("--skip-min-k", action="store_true")
    parser.add_argument("--skip-scan", action="store_true")
    args = parser.parse_args()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    result: dict = {}
    if not args.skip_scan:
        result["scan"] = scan_bench(args)
        print(json.dumps(result["scan"], indent=2), flush=True)
    if not args.skip_min_k:
        result["min_k"] = min_k_bench(Path(args.workdir) / "mink.db")
        print(json.dumps(result["min_k"], indent=2), flush=True)
    (Path(args.workdir) / "result.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
