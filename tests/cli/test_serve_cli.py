"""`assay serve` refuses a bad arena setup with one line before it opens a port."""

import os
import subprocess
import sys

import pytest


def serve(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "assay.cli.main", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("no-such-model,smollm2-135m", "unknown model 'no-such-model'"),
        ("smollm2-135m, smollm2-135m", "the arena needs two different models"),
    ],
)
def test_bad_arena_models_are_one_line_errors(tmp_path, models, message):
    proc = serve("--models", models, "--db", str(tmp_path / "web.db"), "--port", "1")
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not (tmp_path / "web.db").exists()  # refused before the store was opened


def test_an_admin_hash_that_is_not_argon2_is_refused(tmp_path):
    env = {**os.environ, "ASSAY_ADMIN_PASSWORD_HASH": "plain-text-password"}
    proc = serve("--db", str(tmp_path / "web.db"), "--port", "1", env=env)
    assert proc.returncode == 2 and "not an argon2 hash" in proc.stderr, proc.stderr
