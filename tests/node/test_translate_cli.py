"""`agency-node translate` and `translation-jobs`, run as real processes against the LibreTranslate stand-in."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.libretranslate_stub import LibreTranslateStub
from tests.node.test_cli import ROOT, cli
from tests.nodes import free_port

SECRET = "cli-engine-key-not-for-logs"


async def acli(*args: str, cwd: Path, env_extra: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI without blocking the event loop (the stand-in engine runs in this process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    env.pop("AGENCY_NODE_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "node.cli", *args, cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


def _init(folder: Path, translation: str) -> None:
    res = cli("init", "--handle", "baku", "--name", "Baku", "--languages", "az", "--port", str(free_port()),
              cwd=folder)
    assert res.returncode == 0, res.stderr
    with (folder / "node.toml").open("a", encoding="utf-8") as f:
        f.write("\n[translation]\n" + translation)


def test_translate_cli__help(tmp_path):
    """Both commands explain themselves."""
    for name in ("translate", "translation-jobs"):
        res = cli(name, "--help", cwd=tmp_path)
        assert res.returncode == 0 and "usage: agency-node " + name in res.stdout


async def test_translate_cli__translates_now_with_progress_per_chunk(tmp_path):
    """`translate STORY --to ru,tr` sends the story through the engine in chunks, prints each chunk, stores the
    result; `translation-jobs` lists the jobs; the API key from the environment is used and never printed."""
    async with LibreTranslateStub(api_keys={SECRET}) as stub:
        _init(tmp_path, f'engine = "libretranslate"\nurl = "{stub.url}"\nallow_private_engine = true\n'
                        'chunk_chars = 120\nbatch_texts = 2\n')
        body = "".join(f"<p>Paragraph {i} of a long story about the ferry.</p>" for i in range(12))
        code, out, err = await acli("publish", "--headline", "Ferry", "--body", body, "--language", "az",
                                    cwd=tmp_path)
        assert code == 0, err
        story = out.split("/stories/", 1)[1].split()[0]
        env = {"AGENCY_NODE_TRANSLATION_API_KEY": SECRET}
        code, out, err = await acli("translate", story, "--to", "ru,tr,az", cwd=tmp_path, env_extra=env)
        assert code == 0, err
        lines = out.splitlines()
        assert "ru: translating from az with libretranslate" in lines and "ru: translated" in lines
        chunks = [line for line in lines if line.startswith("ru: chunk ")]
        assert len(chunks) >= 3 and chunks[-1].startswith(f"ru: chunk {len(chunks)}/{len(chunks)} ")
        assert "tr: translated" in lines and not any(line.startswith("az:") for line in lines)
        assert SECRET not in out + err and {c.api_key for c in stub.calls} == {SECRET}
        assert all(sum(map(len, c.q)) <= 120 for c in stub.calls if c.format == "html")

        code, out, err = await acli("translation-jobs", "--story", story, "--json", cwd=tmp_path)
        jobs = {j["language"]: j for j in json.loads(out)}
        assert set(jobs) == {"ru", "tr"} and {j["state"] for j in jobs.values()} == {"translated"}
        assert jobs["ru"]["result"]["body_html"].count("<p>[ru] Paragraph") == 12


async def test_translate_cli__failures_are_one_line_and_nonzero(tmp_path):
    """No engine, a bad tag, an unknown story, a refused key: one line on stderr, exit 1; the job stays
    pending when the engine refuses the key."""
    async with LibreTranslateStub(api_keys={SECRET}) as stub:
        plain = tmp_path / "plain"
        plain.mkdir()
        _init(plain, "")
        code, _, err = await acli("translate", "00000000-0000-0000-0000-000000000000", "--to", "ru", cwd=plain)
        assert code == 1 and err.count("\n") == 1 and "no machine-translation engine" in err

        _init(tmp_path, f'engine = "libretranslate"\nurl = "{stub.url}"\nallow_private_engine = true\n'
                        'api_key = "wrong-key"\n')
        code, _, err = await acli("translate", "some-story", "--to", "qq", cwd=tmp_path)
        assert code == 1 and err.count("\n") == 1 and "unknown language" in err
        code, _, err = await acli("translate", "no-such-story", "--to", "ru", cwd=tmp_path)
        assert code == 1 and err.count("\n") == 1 and "no story" in err
        code, out, err = await acli("publish", "--headline", "H", "--body", "<p>B</p>", "--language", "az",
                                    cwd=tmp_path)
        story = out.split("/stories/", 1)[1].split()[0]
        code, out, err = await acli("translate", story, "--to", "ru", cwd=tmp_path)
        assert code == 1 and err.count("\n") == 1 and "Invalid API key" in err and "wrong-key" not in err + out
        code, out, _ = await acli("translation-jobs", "--state", "pending", cwd=tmp_path)
        assert code == 0 and " ru " in out and "pending" in out
        # A translation people wrote is theirs: the engine is not asked to overwrite it.
        code, _, err = await acli("translations", "submit", story, "--language", "tr", "--headline", "Feribot",
                                  "--body", "<p>Feribot.</p>", cwd=tmp_path)
        assert code == 0, err
        calls = len(stub.calls)
        code, out, err = await acli("translate", story, "--to", "tr", cwd=tmp_path)
        assert code == 1 and err.count("\n") == 1 and "the tr translation is human, pending_review" in err
        assert len(stub.calls) == calls


async def test_translate_cli__bad_glossary_file_stops_with_one_line(tmp_path):
    """A missing glossary file is reported on one line and the command exits (nothing left open)."""
    _init(tmp_path, 'engine = "libretranslate"\nurl = "http://127.0.0.1:9"\nglossary_file = "missing.toml"\n')
    code, _, err = await acli("translation-jobs", cwd=tmp_path)
    assert code == 1 and err.count("\n") == 1 and "missing.toml: cannot read the glossary file" in err
