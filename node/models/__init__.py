"""Storage models (tortoise-orm). One app label, ``models``; schema changes go through `node.migrations`."""

from node.models.actors import ActorKey, Follower, Following, RemoteActor
from node.models.lifecycle import StoryRevision, WireRevision
from node.models.queue import Delivery, HostHealth, InboxItem, OutboxActivity
from node.models.stories import Boost, Story, WireStory
from node.models.translations import (
    OfferedTranslation, StoryTranslation, TranslationDecision, TranslationOffer, WireTranslation,
)

__all__ = [
    "ActorKey", "Boost", "Delivery", "Follower", "Following", "HostHealth", "InboxItem", "OutboxActivity",
    "RemoteActor", "Story", "StoryRevision", "WireRevision", "WireStory",
    "OfferedTranslation", "StoryTranslation", "TranslationDecision", "TranslationOffer", "WireTranslation",
]
