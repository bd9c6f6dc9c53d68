"""What `agency-node run` loads before it answers: none of the heavy libraries that only some requests or jobs need,
and no model source read by tortoise. A node restarted after a crash answers, and takes back its dead
predecessor's deliveries and inbox items, as soon as its start-up allows; these keep the start-up short without
timing anything (README, Reliability, has the figures)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.nodes import migrate_in_own_context, node_config_data, write_config

ROOT = Path(__file__).resolve().parents[2]
# Loaded where they are used, never at start-up: media processing (PIL), C2PA (c2pa, with its native library),
# the claim index (numpy), feeds (feedgen with lxml and dateutil), the desk's templates (jinja2), the browser
# tests' driver (playwright).
HEAVY = ("numpy", "c2pa", "PIL", "feedgen", "lxml", "dateutil", "jinja2", "playwright")

# Runs `agency-node run` itself (node.cli's main, as `python -m node.cli` does); at exit, the modules it had
# loaded are written to a file. The node is stopped with SIGTERM once it has answered.
_WRAPPER = """
import atexit, json, sys
import inspect
_read = inspect.getsource
def _getsource(obj):
    if isinstance(obj, type) and any(c.__module__.startswith("tortoise.models") for c in obj.__mro__[1:]):
        print("model source read: " + obj.__qualname__, file=sys.stderr)
    return _read(obj)
inspect.getsource = _getsource
atexit.register(lambda: open(sys.argv[1], "w").write(json.dumps(sorted(sys.modules))))
from node.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _serve_and_stop(tmp_path: Path) -> tuple[set[str], str]:
    data = node_config_data(tmp_path, "startup")
    asyncio.run(migrate_in_own_context(data["node"]["database_url"]))
    config = write_config(tmp_path / "node.toml", data)
    out = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(out), "-c", str(config), "run"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{data['node']['base_url']}/healthz", timeout=5) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the node did not answer"
                time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return set(json.loads(out.read_text())), err.decode()


def test_startup__run_serves_without_heavy_libraries_or_reading_model_sources(tmp_path):
    """`agency-node run` answers HTTP with none of numpy, c2pa, PIL, feedgen, lxml, dateutil, jinja2 or playwright
    loaded, and tortoise read the source of none of our models (federation.store.base turns that off)."""
    modules, err = _serve_and_stop(tmp_path)
    assert "node.web.app" in modules and "node.runtime" in modules  # it really ran the node
    loaded = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    assert loaded == [], f"start-up imports {loaded}: import them where they are used"
    assert "model source read" not in err, err[-2000:]


def test_startup__no_model_has_field_comments():
    """tortoise turns `#:` comments above a model's fields into their descriptions; federation.store.base skips
    reading them to save start-up time, so none may exist (give a field `description=` instead)."""
    found = []
    for package in ("node", "federation"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "Model" in text and "fields." in text:
                found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1)
                          if line.lstrip().startswith("#:")]
    assert found == []
