"""Property-based fuzzing of the inbox: recorded payloads, mutated, validly signed, posted to a real loopback node.

Whatever the mutation (a member of the wrong type, a document nested hundreds deep, a huge string, odd Unicode, a
missing member), or a valid envelope around random JSON, the node never answers 5xx, every stored activity ends in a final state once the worker ran
(processed, or ignored with its reason), and an ignored activity left nothing of itself in the newsroom's tables.

CI runs a short form (200 cases); `AGENCY_NODE_FUZZ_EXAMPLES=20000` runs the long one. With
`AGENCY_NODE_FUZZ_FINDINGS=FILE` a failing case is appended to FILE (one JSON line: the error and the activity) and
the run goes on, so that one long run counts every finding instead of stopping at the first; the test still fails
at the end when there was any.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.store.models import Follower, Following, InboxItem
from node.wire.models import Boost, WireStory
from tests.integration.test_inbox_security import inbox_url, node_and_remote, signed_post

EXAMPLES = int(os.environ.get("AGENCY_NODE_FUZZ_EXAMPLES", "200"))
FINDINGS = os.environ.get("AGENCY_NODE_FUZZ_FINDINGS", "")
FIXTURES = ["mastodon/follow.json", "mastodon/undo-follow.json", "mastodon/create-note.json",
            "mastodon/announce.json", "mastodon/delete-actor.json", "misskey/reject-follow.json",
            "misskey/delete-note.json", "gotosocial/generated-update-person.json",
            "gotosocial/generated-create-note-with-media.json", "fedify/signed-create-article.json"]
FINAL = {"processed", "ignored"}


class _NodeThread:
    """A loopback node and a fake remote on their own event loop in a thread, so that hypothesis (synchronous)
    can drive them case after case without starting a node per case."""

    def __init__(self, tmp_path: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(tmp_path),),
                                        daemon=True)

    async def _main(self, tmp_path: Any) -> None:
        self._stop = asyncio.Event()
        try:
            async with node_and_remote(tmp_path, limits=False) as (self.node, self.remote):
                self.fixtures = [self.remote.load_fixture(name) for name in FIXTURES]
                for actor_id in list(self.remote.actors):  # followed, so Creates and Announces go deep
                    actor = await self.node.db(self.node.node.fed.fetcher.actor, actor_id)
                    await self.node.db(lambda a=actor: Following.create(
                        actor_id=a.id, local=self.node.config.agency.handle, state="accepted",
                        follow_activity_id=f"{self.node.actor_id}/follows/{a.id}"))
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
            self._ready.set()

    def start(self) -> "_NodeThread":
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        return self

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture(scope="module")
def fuzz_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_NodeThread]:
    node = _NodeThread(tmp_path_factory.mktemp("fuzz")).start()
    try:
        yield node
    finally:
        node.close()


# --- mutations ------------------------------------------------------------------------------------------------

def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = {"x": value} if level % 2 else [value]
    return value


_REPLACEMENTS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.just([]), st.just({}),
    st.integers(min_value=40, max_value=400).map(_nested),
    st.integers(min_value=513, max_value=20_000).map(lambda n: "http://127.0.0.1/" + "x" * n),
    st.text(min_size=0, max_size=40),  # odd Unicode: hypothesis draws surrogates-free code points of all planes
    st.lists(st.text(max_size=5), max_size=3),
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a member of `doc` (dict keys and list indexes), the document itself first."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, prefix + (i,))
    return found


@st.composite
def mutated(draw: st.DrawFn, fixtures: list[dict]) -> dict:
    """A recorded activity with a fresh id and one to three members replaced or removed."""
    doc = json.loads(json.dumps(draw(st.sampled_from(fixtures))))
    doc["id"] = f"{doc['actor'] if isinstance(doc['actor'], str) else doc['actor']['id']}/fuzz/{uuid.uuid4()}"
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(doc) if p and p[0] != "actor"]  # the signer stays who it is
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
            del parent[path[-1]]  # a missing member
        else:
            parent[path[-1]] = draw(_REPLACEMENTS)
    return doc


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30)
_TYPES = ["Follow", "Undo", "Accept", "Reject", "Create", "Update", "Delete", "Announce", "Like", "Move"]


@st.composite
def random_envelope(draw: st.DrawFn, fixtures: list[dict]) -> dict:
    """A valid envelope (id, type, actor of a recorded payload) around an object that is random JSON, or a
    recorded object's members mixed with random ones."""
    actor = draw(st.sampled_from(fixtures))["actor"]
    actor = actor if isinstance(actor, str) else actor["id"]
    obj = draw(_JSON)
    if isinstance(obj, dict) and draw(st.booleans()):
        obj = {"id": actor + "/objects/" + str(uuid.uuid4()), "type": draw(st.sampled_from(
            ["Article", "Note", "Person", "Follow", "Announce", "Tombstone"])), **obj}
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor}/fuzz/{uuid.uuid4()}",
            "type": draw(st.sampled_from(_TYPES)), "actor": actor, "object": obj}


# --- the property ---------------------------------------------------------------------------------------------

async def _counts() -> tuple[int, ...]:
    return (await WireStory.all().count(), await Follower.all().count(), await Boost.all().count(),
            await Following.filter(state="accepted").count())


async def _case(thread: _NodeThread, activity: dict) -> str:
    """Post one activity and check the property; the outcome: "refused" (4xx at the door), or the state the
    accepted activity's row settled in."""
    node, remote = thread.node, thread.remote
    before = await node.db(_counts)
    last = await node.db(lambda: InboxItem.all().order_by("-id").first().values_list("id", flat=True)) or 0
    actor = activity["actor"] if isinstance(activity["actor"], str) else activity["actor"]["id"]
    status, _, text = await signed_post(remote, inbox_url(node, "/inbox"), activity, key_of=actor)
    assert status < 500, text
    for _ in range(5):
        if await node.node.process_inbox_once() == 0:
            break
    rows = await node.db(lambda: InboxItem.filter(id__gt=last).exclude(state__in=FINAL)
                         .values_list("activity_id", "state", "note"))
    assert rows == [], rows  # every activity stored now is settled, none left to retry for ever
    if status != 202:
        assert await node.db(_counts) == before  # refused at the door: nothing stored
        return "refused"
    row = await node.db(lambda: InboxItem.get_or_none(activity_id=activity.get("id")))
    if row is not None and row.state == "ignored":
        assert row.note, "an ignored activity says why"
        assert await node.db(_counts) == before, f"ignored ({row.note}) but something was stored"
    return row.state if row is not None else "accepted, not stored again (a duplicate)"


def test_inbox_fuzz__mutated_recorded_payloads_never_5xx_always_settled(fuzz_node):
    """Mutated real payloads and random objects, validly signed: never a 5xx, every row settled with a reason,
    nothing half-stored."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.one_of(mutated(fuzz_node.fixtures), random_envelope(fuzz_node.fixtures)))
    def case(activity: dict) -> None:
        cases.append(1)
        try:
            outcomes[fuzz_node.call(_case(fuzz_node, activity))] += 1
        except Exception as exc:
            if not FINDINGS:
                raise
            findings.append(repr(exc)[:300])
            with open(FINDINGS, "a", encoding="utf-8") as out:
                out.write(json.dumps({"error": repr(exc)[:2000], "activity": activity}, default=repr)[:200_000] + "\n")

    cases: list[int] = []
    findings: list[str] = []
    outcomes: Counter[str] = Counter()
    case()
    print(f"inbox fuzz: {len(cases)} cases ({', '.join(f'{n} {k}' for k, n in outcomes.most_common())}), "
          f"{len(findings)} findings")
    assert findings == [], f"{len(findings)} findings, in {FINDINGS}: {findings[:5]}"
    settled = fuzz_node.call(fuzz_node.node.db(lambda: InboxItem.filter(state__in=FINAL).count()))
    assert settled > EXAMPLES // 4  # most cases got past the door and were judged by the worker

