"""What inbound activities mean to the newsroom: its listeners, registered with the engine in one place.

The engine (`federation.listeners`) tries the listeners of an activity's type in the order given here, then its
own handler for that type (follows and actors). Order matters where two domains share a type: a Create linked to
one of our stories is a translation offer before it is a wire story, and so is an Update of one.
"""

from __future__ import annotations

from federation.listeners import InboxListeners
from node.factchecks import listeners as factchecks
from node.factchecks.matching import on_wire_story, wire_story_extra
from node.translation import offer_listeners as offers
from node.wire import batch as wire_batch, hooks as wire_hooks, listeners as wire
from schemas.provenance import translation_of

__all__ = ["register"]


def _not_a_plain_story(obj: dict) -> bool:
    return factchecks.is_factcheck(obj) or bool(translation_of(obj))


def register(listeners: InboxListeners) -> InboxListeners:
    """Add the newsroom's listeners to an engine's registry; returns it."""
    # Every wire story is checked against the fact-checks this node has, and shows what matched.
    wire_hooks.add_stored(on_wire_story)
    wire_hooks.add_extra(wire_story_extra)
    # A fact-check the wire fetched by id or got forwarded lands as a fact-check, never as a story.
    wire_hooks.add_claim(factchecks.on_wire_object)
    (listeners
        .on("Create", factchecks.on_create)  # a fact-check is an Article too: before the wire takes it as a story
        .on("Create", offers.on_create)
        .on("Create", wire.handle_create)
        # Runs of Creates of new stories are stored together; what the two listeners before the wire's take
        # (fact-checks, translation offers) goes down the chain one by one.
        .on_batch("Create", wire_batch.creates(_not_a_plain_story))
        .on("Update", factchecks.on_update)
        .on("Update", offers.on_create)  # an offer edited by its translator is offered again
        .on("Update", wire.handle_update)
        .on("Delete", factchecks.on_delete)
        .on("Delete", wire.handle_delete)
        .on("Delete", offers.on_delete)
        .on("Accept", offers.on_accept)
        .on("Reject", offers.on_reject)
        .on("Endorse", factchecks.on_endorse)
        .on("Announce", wire.handle_announce)
        .on("Undo", factchecks.on_undo)  # an endorsement taken back
        .on("Undo", wire.handle_undo)
        .on_actor_gone(wire.retire_actor))
    return listeners
