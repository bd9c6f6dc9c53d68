"""Storage models (tortoise-orm). One app label, ``models``; schema changes go through `node.migrations`."""

from node.models.actors import ActorKey, Follower, Following, RemoteActor
from node.models.lifecycle import StoryRevision, WireRevision
from node.models.proofs import ProofKey, WireProof
from node.models.queue import Delivery, HostHealth, InboxItem, OutboxActivity
from node.models.stories import Boost, Story, WireStory
from node.models.translation_jobs import MachineReading, TranslationJob
from node.models.translations import (
    OfferedTranslation, StoryTranslation, TranslationDecision, TranslationOffer, WireTranslation,
)

__all__ = [
    "ActorKey", "Boost", "Delivery", "Follower", "Following", "HostHealth", "InboxItem", "OutboxActivity",
    "RemoteActor", "Story", "StoryRevision", "WireRevision", "WireStory",
    "ProofKey", "WireProof",
    "OfferedTranslation", "StoryTranslation", "TranslationDecision", "TranslationOffer", "WireTranslation",
    "MachineReading", "TranslationJob",
]
