"""A real Apertium APy server on a free loopback port, for tests (skips when Debian's apertium-apy or the
eng-spa pair is not installed; `.ci/run` installs both with apt when it runs as root)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.nodes import free_port

__all__ = ["MODES", "apertium_url"]

MODES = Path("/usr/share/apertium/modes")


def _skip_reason() -> str | None:
    if shutil.which("apertium-apy") is None:
        return "apertium-apy is not installed (apt-get install apertium-apy apertium-eng-spa)"
    if not (MODES / "eng-spa.mode").is_file():
        return f"the Apertium eng-spa pair is not installed ({MODES}/eng-spa.mode missing: apt-get install " \
               "apertium-eng-spa)"
    return None


def apertium_url() -> Iterator[str]:
    """Start `apertium-apy` on a free port (its own process group), yield its base URL once `/listPairs`
    answers, and stop it (the group, so its pipeline processes go too)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    port = free_port()
    # Its log goes to a file: a pipe nobody reads would fill up and stall the server.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(["apertium-apy", "-p", str(port), str(MODES)], stdout=subprocess.DEVNULL,
                            stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/listPairs", timeout=2) as resp:
                    if json.load(resp).get("responseData"):
                        break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode("utf-8", "replace")[-500:]
                pytest.fail(f"apertium-apy exited with {proc.returncode}: {err}")
            if time.monotonic() > deadline:
                pytest.fail("apertium-apy did not answer /listPairs within 30 s")
            time.sleep(0.2)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
