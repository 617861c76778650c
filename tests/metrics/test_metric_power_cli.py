"""`assay power` as a user meets it: the number, --json for machines, one-line errors with exit 2."""

import json
import subprocess
import sys

import pytest

import assay


def assay_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "assay.cli.main", "power", *args], capture_output=True, text=True, timeout=120
    )


def test_power_prints_the_sample_size():
    proc = assay_cli("--baseline", "0.6", "--effect", "0.03")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("4,126 samples per model")


def test_power_json_and_minimum_detectable_effect():
    proc = assay_cli("--baseline", "0.6", "--effect", "0.03", "--correlation", "0.5", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["samples"] == assay.power_analysis(0.6, effect=0.03, correlation=0.5).samples
    assert data["solved_for"] == "samples"
    proc = assay_cli("--baseline", "0.6", "--samples", "500", "--correlation", "0.5", "--json")
    data = json.loads(proc.stdout)
    assert data["solved_for"] == "effect" and 0.03 < data["effect"] < 0.1
    proc = assay_cli("--baseline", "0.6", "--samples", "500", "--correlation", "0.5")
    assert "500 samples can detect" in proc.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--baseline", "1.5", "--effect", "0.03"], "baseline"),
        (["--baseline", "0.98", "--effect", "0.03"], "below 1"),
        (["--baseline", "0.6", "--effect", "0.03", "--correlation", "-2"], "correlation"),
        (["--baseline", "0.6"], "exactly one"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, fragment):
    proc = assay_cli(*args)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
