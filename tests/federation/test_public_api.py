"""The engine's public API, named in `federation.__all__`, resolves, and importing the package stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import federation


@pytest.mark.parametrize("name", federation.__all__)
def test_public_api__every_name_resolves_to_what_its_module_defines(name):
    from importlib import import_module

    value = getattr(federation, name)
    assert value is getattr(import_module(federation._EXPORTS[name]), name)


def test_public_api__names_the_wiring_the_hooks_and_both_workers():
    assert {"Federation", "InboxListeners", "receive", "InboxWorker", "enqueue", "DeliveryWorker",
            "tortoise_app", "RemoteActor"} <= set(federation.__all__)


def test_public_api__unknown_names_are_attribute_errors_and_submodules_still_import():
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        federation.nonsense  # noqa: B018
    from federation import vocab  # a submodule, not an exported name

    assert vocab.PUBLIC == "https://www.w3.org/ns/activitystreams#Public"


def test_public_api__importing_the_package_loads_no_submodule():
    code = ("import sys, federation; import federation.vocab; "
            "print(sorted(m for m in sys.modules if m.startswith(('federation.', 'tortoise'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['federation.vocab']"
