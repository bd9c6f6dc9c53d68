"""Our RFC 8785 canonicalisation (orjson for plain documents, `rfc8785` for the rest) gives exactly what the
reference implementation gives, on random documents and on the edge cases of JCS (escapes, key order, numbers)."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.errors import ProofError
from federation.integrity import _orjson_is_jcs, canonical

_KEYS = st.text(max_size=8) | st.text(alphabet=st.characters(max_codepoint=127), max_size=8)
_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
            | st.text(alphabet=st.characters(max_codepoint=0x2f), max_size=6))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
                     max_leaves=40)


@settings(max_examples=2000, deadline=None)
@given(doc=_JSON)
def test_jcs__same_bytes_as_the_reference(doc):
    """Whatever the document, the bytes are the reference implementation's."""
    assert canonical(doc) == rfc8785.dumps(doc)


def test_jcs__edge_cases_and_which_path():
    """Control characters, U+2028, astral characters, non-ASCII keys in UTF-16 order, big integers."""
    doc = {"b": "\b\t\n\f\r\x00\x1f\x7f\u2028/\"\\", "a": [1, -0, 2**53 - 1, None, True], "é": 1, "\ue000": 2,
           "\U0001f600": 3}
    assert canonical(doc) == rfc8785.dumps(doc)
    assert not _orjson_is_jcs(doc)  # non-ASCII keys: the reference path
    plain = {"b": doc["b"], "a": doc["a"], "contentMap": {"az": "Bakı", "zh-Hans": "巴库"}}
    assert _orjson_is_jcs(plain) and canonical(plain) == rfc8785.dumps(plain)
    assert not _orjson_is_jcs({"x": 1.5}) and not _orjson_is_jcs({"x": 2**53})
    with pytest.raises(ProofError):
        canonical({"x": 2**53})
    with pytest.raises(ProofError):
        canonical({"x": "\ud800"})
