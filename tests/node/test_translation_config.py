"""The [translation] config section and the node's glossary (config entries, TOML and CSV files)."""

from __future__ import annotations

import re

import pytest

from node.translation.glossary import mask, unmask
from node.config import ConfigError, config_from_dict, load_config
from node.translation.machine import node_glossary
from tests.nodes import node_config_data, write_config


def _config(tmp_path, **translation):
    return config_from_dict(node_config_data(tmp_path, "baku", sections={"translation": translation}),
                            environ={}, base_dir=tmp_path)


def test_translation_config__defaults_mean_no_engine(tmp_path):
    """With no [translation] section there is no engine and no target."""
    config = config_from_dict(node_config_data(tmp_path, "baku"), environ={})
    assert config.translation["engine"] == "" and config.translation["targets"] == []


def test_translation_config__targets_normalised_and_key_from_env_kept_out_of_repr(tmp_path):
    """Targets are BCP 47 in canonical case; the API key comes from the environment first and
    never shows in the config's repr or its translation mapping."""
    data = node_config_data(tmp_path, "baku", sections={"translation": {
        "engine": "libretranslate", "url": "http://127.0.0.1:5000", "targets": ["RU", "uz_latn"],
        "api_key": "file-key"}})
    config = config_from_dict(data, environ={"AGENCY_NODE_TRANSLATION_API_KEY": "env-key"})
    assert config.translation["targets"] == ["ru", "uz-Latn"]
    assert config.translation_api_key == "env-key"
    assert "env-key" not in repr(config) and "file-key" not in repr(config)
    assert config_from_dict(data, environ={}).translation_api_key == "file-key"


def test_translation_config__bergamot_needs_no_url_and_models_dir_is_relative_to_the_file(tmp_path):
    """The in-process engine has no URL; its models folder is resolved against the config file's folder."""
    config = _config(tmp_path, engine="bergamot", models_dir="models")
    assert config.translation["engine"] == "bergamot"
    assert config.translation["models_dir"] == str((tmp_path / "models").resolve())
    assert _config(tmp_path, engine="bergamot").translation["models_dir"] == ""


@pytest.mark.parametrize(("translation", "message"), [
    ({"engine": "libretranslate"}, "translation.url: an engine needs its url"),
    ({"engine": "apertium"}, "translation.url: an engine needs its url"),
    ({"engine": "deepl", "url": "http://x"}, "translation.engine"),
    ({"engine": "libretranslate", "url": "ftp://x"}, "translation.url: must be an absolute http(s) URL"),
    ({"targets": ["qq"]}, "translation.targets[0]: 'qq': unknown language"),
    ({"targets": ["ru", "RU"]}, "translation.targets: 'ru' is listed twice"),
    ({"glossary": {"xx-YY": {"a": "b"}}}, "translation.glossary"),
    ({"chunk_chars": 10}, "translation.chunk_chars"),
    ({"unknown_key": 1}, "translation.unknown_key: unknown key"),
])
def test_translation_config__bad_values_name_the_key(tmp_path, translation, message):
    """A bad [translation] value stops the node with a line naming the key."""
    with pytest.raises(ConfigError, match=re.escape(message)):
        _config(tmp_path, **translation)


def test_node_glossary__config_toml_file_and_csv_file(tmp_path):
    """Protected terms and fixed translations come from the config and from a TOML or CSV file; the config's
    own entries win over the file's."""
    (tmp_path / "terms.toml").write_text('protected = ["SOCAR"]\n[glossary.ru]\n"Milli Majlis" = "Милли Меджлис"\n'
                                         '"Baku" = "Баку (file)"\n', encoding="utf-8")
    config = _config(tmp_path, protected=["ADA University"], glossary={"ru": {"Baku": "Баку"}},
                     glossary_file="terms.toml")
    g = node_glossary(config)
    text = "SOCAR, ADA University and the Milli Majlis in Baku"
    m = mask(text, g, "ru", html=False)
    assert unmask(m.text, m) == "SOCAR, ADA University and the Милли Меджлис in Баку"

    (tmp_path / "terms.csv").write_text("term,language,translation\nSOCAR,*,\nBaku,tr,Bakü\n", encoding="utf-8")
    g = node_glossary(_config(tmp_path, glossary_file="terms.csv"))
    assert g.protected == ("SOCAR",) and g.fixed == {"tr": {"Baku": "Bakü"}}


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.toml", None, "cannot read the glossary file"),
    ("bad.toml", "protected = [", "not valid TOML"),
    ("bad.csv", "Baku,tr,\n", "needs a translation"),
    ("badlang.toml", '[glossary.qq]\n"a" = "b"\n', "unknown language"),
])
def test_node_glossary__bad_files_are_config_errors(tmp_path, name, content, message):
    """An unreadable or malformed glossary file is a ConfigError naming the file and the problem."""
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        node_glossary(_config(tmp_path, glossary_file=name))


def test_translation_config__glossary_file_relative_to_the_config(tmp_path):
    """A relative glossary path is resolved against the config file's folder, not the working directory."""
    data = node_config_data(tmp_path, "baku", sections={"translation": {"glossary_file": "g.toml"}})
    config = load_config(write_config(tmp_path / "node.toml", data), environ={})
    assert config.translation["glossary_file"] == str(tmp_path / "g.toml")
