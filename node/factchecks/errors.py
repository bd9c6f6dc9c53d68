"""What goes wrong with a fact-check as an editor or a partner asked for it, and the lookup use-cases start with."""

from __future__ import annotations

from node.factchecks.models import FactCheck

__all__ = ["FactCheckError", "get_factcheck"]


class FactCheckError(Exception):
    """A fact-check cannot be published, changed or endorsed as asked; status, title and detail for the problem."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


async def get_factcheck(uuid: str) -> FactCheck:
    """Our fact-check with this uuid (any state); FactCheckError 404 when there is none."""
    fc = await FactCheck.get_or_none(uuid=uuid)
    if fc is None:
        raise FactCheckError(404, "No such fact-check", f"no fact-check {uuid}")
    return fc
