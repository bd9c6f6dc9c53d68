"""Trusted partners: the `[trust] partners` config list and `is_partner`, per node."""

from __future__ import annotations

import pytest

from node.config import ConfigError, config_from_dict
from node.embargo import is_partner
from tests.nodes import running_node

MINIMAL = {"node": {"base_url": "https://news.example.org"}, "agency": {"handle": "baku", "name": "Baku News"}}


def test_embargo_partners__config_names_the_bad_key():
    """A partner that is not an http(s) actor URL, or is listed twice, stops the config with trust.partners."""
    ok = config_from_dict({**MINIMAL, "trust": {"partners": ["https://ankara.example/actors/ankara"]}}, environ={})
    assert ok.trust["partners"] == ["https://ankara.example/actors/ankara"]
    assert config_from_dict(MINIMAL, environ={}).trust["partners"] == []
    for bad in (["ankara@ankara.example"], [""], ["https://a.example/actors/a"] * 2):
        with pytest.raises(ConfigError, match=r"trust\.partners"):
            config_from_dict({**MINIMAL, "trust": {"partners": bad}}, environ={})


async def test_embargo_partners__each_node_has_its_own_partners(tmp_path):
    """Two nodes in one process: each answers is_partner from its own config."""
    partner = "http://127.0.0.1:1/actors/ankara"
    async with running_node(tmp_path, "baku", sections={"trust": {"partners": [partner]}}) as baku, \
            running_node(tmp_path, "astana") as astana:
        assert await baku.db(lambda: _async(is_partner(partner))) is True
        assert await baku.db(lambda: _async(is_partner(partner + "/"))) is True
        assert await astana.db(lambda: _async(is_partner(partner))) is False
        assert await baku.db(lambda: _async(is_partner("http://127.0.0.1:1/actors/other"))) is False


async def _async(value: bool) -> bool:
    return value
