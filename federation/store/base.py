"""`Model`, the base class of every tortoise model (the engine's and the application's), defined without tortoise
reading each model's source code.

tortoise's model metaclass reads the source of every model class it creates (`inspect.getsource`, which parses the
class's whole module) to turn `#:` comments above fields into field descriptions. Our models have no such comments
(a field that needs a description says so with `description=`; tests/node/test_startup.py keeps it so), and that
parsing cost about 0.1 s of CPU at every start (36 models in 11 modules): a node restarted after a crash answered,
and resent its dead predecessor's deliveries, that much later. Importing `Model` from here turns the reading off,
for every model class defined afterwards.
"""

from __future__ import annotations

import tortoise.models
from tortoise.models import Model

__all__ = ["Model"]


def _no_comments(cls: type) -> dict[str, str]:
    """No field comments: what tortoise's `_get_comments` finds in a model without `#:` comments."""
    return {}


tortoise.models._get_comments = _no_comments  # type: ignore[attr-defined]
