"""What goes wrong with a story as an editor asked for it, and the lookup every use-case starts with."""

from __future__ import annotations

from node.stories.models import Story

__all__ = ["StoryError", "get_story"]


class StoryError(Exception):
    """A story cannot be published or changed as asked (bad input, not found, already deleted)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


async def get_story(uuid: str) -> Story:
    """The story with this uuid (any state); StoryError 404 when there is none."""
    story = await Story.get_or_none(uuid=uuid)
    if story is None:
        raise StoryError(404, "No such story", f"no story {uuid}")
    return story
