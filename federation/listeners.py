"""What an inbound activity means: the application registers listeners per activity type, the engine calls them.

As in a Fedify app, the engine knows the protocol's own activities (Follow, Undo of a Follow, Accept and Reject of
our follows, Update and Delete of actors: `federation.handlers`) and nothing of the application's tables. The
application says what the rest means to it with `InboxListeners.on(type, listener)`. For one type the
application's listeners are tried in the order they were registered, then the engine's own; the first to return
what it did (a short note for the inbox row) ends the chain, and None passes the activity on. A listener that
knows the activity but will not act on it raises `Ignored` with the reason. An activity nobody takes is recorded
as ignored, never as an error.

For a busy type the application may also register one batch listener (`on_batch`): the inbox worker hands it each
run of consecutive activities of that type in a claimed batch, and it answers for each what it did (a note), why
it would not (an exception, recorded as the single listeners' would be) or None: not taken, so the activity goes
down the single chain after the batch, in its order. A batch listener takes only activities that the single chain
would treat the same way and that do not depend on each other (new objects, each once), so that handling them
together, in one transaction, is the same as handling them one after the other. In that transaction it records the
activities it stored as processed (with the `Settle` it is given), so that a crash leaves each either stored and
processed or neither; a note it answers for an activity it did not settle that way is settled after it returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

if TYPE_CHECKING:
    from federation.store.models import RemoteActor

__all__ = ["ActorGone", "BatchListener", "Ignored", "InboxListeners", "Listener", "Settle", "Unusable"]

# (the node's `federation.context.Federation`, the activity, how its request was signed) -> what was done, or
# None: not mine, ask the next one
Listener = Callable[[Any, dict[str, Any], str], Awaitable["str | None"]]
# Records activities of a batch (by their index in it, with their notes) as processed, in the caller's transaction.
Settle = Callable[[dict[int, str]], Awaitable[None]]
# (the node's Federation, [(activity, how its request was signed)...], Settle) -> for each: a note, an exception,
# or None
BatchListener = Callable[[Any, list[tuple[dict[str, Any], str]], Settle],
                         Awaitable[list["str | BaseException | None"]]]
# Told when a remote actor deleted itself, before the engine forgets it and its follows.
ActorGone = Callable[["RemoteActor"], Awaitable[None]]


class Ignored(Exception):
    """Nothing to do for this activity (with the reason recorded on the inbox row)."""


class Unusable(Ignored):
    """The activity cannot be used as sent (a member of the wrong type, too long, too deep): it would fail the
    same way on every attempt, so it is recorded as ignored with the reason, never retried."""


class InboxListeners:
    """The application's listeners per activity type, in order (the engine's own come after them)."""

    def __init__(self) -> None:
        self._app: dict[str, list[Listener]] = {}
        self._actor_gone: list[ActorGone] = []
        self._batch: dict[str, BatchListener] = {}

    def on(self, type_: str, listener: Listener) -> "InboxListeners":
        """Let `listener` handle activities of `type_` (before the engine's own); returns self for chaining."""
        self._app.setdefault(type_, []).append(listener)
        return self

    def on_batch(self, type_: str, listener: BatchListener) -> "InboxListeners":
        """Let `listener` take runs of activities of `type_` together (see the module docstring); returns self."""
        self._batch[type_] = listener
        return self

    def batch_listener(self, type_: str) -> BatchListener | None:
        """The batch listener of `type_`, if the application registered one."""
        return self._batch.get(type_)

    def on_actor_gone(self, callback: ActorGone) -> "InboxListeners":
        """Call `callback` when a remote actor we know deletes itself (to retire what the application holds of it)."""
        self._actor_gone.append(callback)
        return self

    def types(self) -> frozenset[str]:
        """Every activity type the application listens to."""
        return frozenset(self._app)

    async def actor_gone(self, actor: "RemoteActor") -> None:
        """Tell the application that `actor` is gone (the engine's Delete handler calls this)."""
        for callback in self._actor_gone:
            await callback(actor)

    async def dispatch(self, fed: Any, activity: dict[str, Any], signature: str,
                       defaults: Mapping[str, Listener]) -> str:
        """Hand `activity` down its type's chain, then to `defaults[type]` (the engine's handler); the note of the
        listener that took it. Raises Ignored when none did."""
        type_ = activity["type"]
        chain = [*self._app.get(type_, ()), *((defaults[type_],) if type_ in defaults else ())]
        if not chain:
            raise Ignored(f"{type_} is not handled")
        for listener in chain:
            done = await listener(fed, activity, signature)
            if done is not None:
                return done
        raise Ignored(f"nothing here handles this {type_}")
