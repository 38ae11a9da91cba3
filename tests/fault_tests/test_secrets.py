"""A storage password reaches no file the run writes and no command line it starts."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .scenarios import EXAMPLE, GIVEN_OPTIMUM, SMALL

pytestmark = pytest.mark.slow  # whole studies in subprocesses

SECRET = "s3cret-pw"


def _command_lines_with(secret: bytes) -> set[int]:
    found = set()
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if secret in path.read_bytes():
                found.add(int(path.parent.name))
        except OSError:
            continue  # the process ended meanwhile
    return found


def test_a_password_reaches_no_file_and_no_command_line(tmp_path, postgres_url):
    url = postgres_url.replace("postgres@", f"postgres:{SECRET}@")  # trust auth ignores it
    command = [sys.executable, "-m", "pruneshift", "run", str(EXAMPLE), "--out",
               str(tmp_path / "run"), "--workers", "2"]
    for item in [*SMALL, *GIVEN_OPTIMUM]:
        command += ["--set", item]
    run = subprocess.Popen(command, env={**os.environ, "PRUNESHIFT_STORAGE": url},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    exposed: set[int] = set()
    while run.poll() is None:
        exposed |= _command_lines_with(SECRET.encode())
        time.sleep(0.05)
    output = run.stdout.read()
    assert run.returncode == 0, output[-2000:]
    assert not exposed
    assert SECRET.encode() not in output
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert len(written) > 5
    assert [p for p in written if SECRET.encode() in p.read_bytes()] == []
