"""Multilingual stories across real loopback nodes: review, Updates with every language and its provenance,
translation offers between agencies, and language channels for Mastodon-style followers."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from federation.keys import load_public_key
from federation.store.models import OutboxActivity
from node.translation.models import StoryTranslation, TranslationOffer, WireTranslation
from tests.fakeremote import FakeRemote
from tests.nodes import node_config, postgres_database, running_node, settle

STORY = {"headline": "Bakı-Aktau bərə xətti yenidən açılır",
         "summary": "Bazar ertəsi reyslər bərpa olunur.",
         "body": "<p>Bakı ilə Aktau arasında bərə xətti yenidən açılır.</p>", "language": "az",
         "hashtags": ["Xəzər"]}
EN = {"language": "en", "headline": "Baku-Aktau ferry line reopens", "summary": "Crossings resume on Monday.",
      "body": "<p>The ferry line between Baku and Aktau reopens.</p>", "translator": "Leyla Mammadova"}
RU = {"language": "ru", "headline": "Паромная линия Баку-Актау вновь открывается",
      "summary": "Рейсы возобновятся в понедельник.",
      "body": "<p>Паромная линия между Баку и Актау вновь открывается.</p>", "translator": "Ирина Петрова"}
TR = {"language": "tr", "headline": "Bakü-Aktav feribot hattı yeniden açılıyor",
      "summary": "Seferler pazartesi başlıyor.", "body": "<p>Bakü ile Aktav arasındaki feribot hattı açılıyor.</p>"}
KK = {"language": "kk", "headline": "Баку-Ақтау паром желісі қайта ашылады",
      "summary": "Рейстер дүйсенбіде қайта басталады.",
      "body": "<p>Баку мен Ақтау арасындағы паром желісі қайта ашылады.</p>", "translator": "Айгүл Серікова"}


@contextlib.asynccontextmanager
async def _node(tmp_path, handle: str, database_url: str | None, **sections: dict[str, Any]):
    url = None
    async with contextlib.AsyncExitStack() as stack:
        if database_url == "postgres":
            url = await stack.enter_async_context(postgres_database())
        config = node_config(tmp_path, handle, database_url=url, sections=sections,
                             languages=["az" if handle == "baku" else "en"])
        yield await stack.enter_async_context(running_node(tmp_path, handle, config=config))


async def _follow(follower, target) -> None:
    status, doc = await follower.api("POST", "/api/following", {"handle": target.handle})
    assert status == 202, doc
    await settle(follower, target)


async def _publish_and_translate(baku, *nodes, languages=(EN, RU, TR)) -> dict[str, Any]:
    status, story = await baku.api("POST", "/api/stories", STORY)
    assert status == 201, story
    await settle(baku, *nodes)
    for data in languages:
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations", data)
        assert status == 201, doc
        assert doc["status"] == "pending_review" and doc["method"] == "human"
    return story


async def _languages(node, story_url: str) -> dict[str, dict[str, Any]]:
    status, doc = await node.api("GET", f"/api/wire/languages?story={story_url}")
    assert status == 200, doc
    return {item["language"]: item for item in doc["languages"]}


@pytest.mark.postgres
async def test_translations__reviewed_languages_reach_partner_with_provenance(tmp_path, database_url):
    """Human translations wait for review; each approval sends an Update, and Ankara's copy ends with all four
    languages, each labelled with who translated it, how, from which language, and who reviewed it."""
    async with _node(tmp_path, "baku", database_url) as baku, _node(tmp_path, "ankara", database_url) as ankara:
        await _follow(ankara, baku)
        story = await _publish_and_translate(baku, ankara)
        await settle(baku, ankara)
        assert set(await _languages(ankara, story["url"])) == {"az"}  # nothing approved yet: nothing sent
        assert await baku.db(lambda: OutboxActivity.filter(type="Update").count()) == 0

        _, queue = await baku.api("GET", "/api/translations?status=pending_review")
        assert sorted(t["language"] for t in queue["translations"]) == ["en", "ru", "tr"]
        for lang in ("en", "ru", "tr"):
            status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/{lang}/approve",
                                         {"reviewer": "Rashad Aliyev"})
            assert status == 200 and doc["status"] == "approved", doc
        assert await baku.db(lambda: OutboxActivity.filter(type="Update").count()) == 3
        await settle(baku, ankara)

        langs = await _languages(ankara, story["url"])
        assert set(langs) == {"az", "en", "ru", "tr"}
        assert langs["az"]["kind"] == "original" and langs["az"]["headline"] == STORY["headline"]
        for lang, data in (("en", EN), ("ru", RU), ("tr", TR)):
            item = langs[lang]
            assert (item["kind"], item["method"], item["source_language"]) == ("translation", "human", "az")
            assert item["translated_by"] == baku.actor_id and item["reviewed_by"] == "Rashad Aliyev"
            assert item["headline"] == data["headline"] and item["updated"]
        assert langs["ru"]["translator"] == "Ирина Петрова"
        _, ru = await ankara.api("GET", f"/api/wire/languages?story={story['url']}&language=ru")
        assert [i["content_html"] for i in ru["languages"] if i["language"] == "ru"] == [RU["body"]]

        # The wire object itself: maps with every language, original first, provenance defined inline.
        status, doc, _ = await baku.get(f"/stories/{story['id']}")
        assert list(doc["contentMap"]) == ["az", "en", "ru", "tr"] and doc["content"] == STORY["body"]
        assert doc["nameMap"]["tr"] == TR["headline"]
        terms = doc["@context"][1]
        assert terms["languageProvenance"]["@id"].startswith("agency:") and terms["agency"].startswith("https://")
        assert all(isinstance(c, (str, dict)) for c in doc["@context"])
        assert [p["kind"] for p in doc["languageProvenance"]] == ["original", "translation", "translation",
                                                                   "translation"]
        # Ankara's Baku story is still Baku's original text in the plain columns.
        _, wire = await ankara.api("GET", "/api/wire")
        assert wire["stories"][0]["language"] == "az" and wire["stories"][0]["headline"] == STORY["headline"]
        assert wire["stories"][0]["languages"] == ["az", "en", "ru", "tr"]


async def test_translations__edit_reject_and_audit_trail(tmp_path):
    """Editing an approved translation sends a correction; rejecting it withdraws it from partners' copies;
    every decision is listed in order."""
    async with _node(tmp_path, "baku", None) as baku, _node(tmp_path, "ankara", None) as ankara:
        await _follow(ankara, baku)
        story = await _publish_and_translate(baku, ankara, languages=(EN,))
        base = f"/api/stories/{story['id']}/translations/en"
        await baku.api("POST", base + "/approve", {"reviewer": "Rashad"})
        _, doc = await baku.api("GET", base)
        assert doc["stale"] is False
        await baku.api("PATCH", f"/api/stories/{story['id']}", {"summary": "Reyslər bazar ertəsi bərpa olunur."})
        _, doc = await baku.api("GET", base)
        assert doc["stale"] is True  # the original changed after the translation was made
        status, doc = await baku.api("PATCH", base, {"headline": "Baku-Aktau ferry reopens", "editor": "Nigar"})
        assert status == 200 and doc["status"] == "approved" and doc["method"] == "human"
        assert doc["stale"] is False
        await settle(baku, ankara)
        assert (await _languages(ankara, story["url"]))["en"]["headline"] == "Baku-Aktau ferry reopens"

        status, doc = await baku.api("POST", base + "/reject", {"reviewer": "Rashad", "note": "wrong port name"})
        assert status == 200 and doc["status"] == "rejected"
        await settle(baku, ankara)
        assert set(await _languages(ankara, story["url"])) == {"az"}
        status, again = await baku.api("POST", base + "/reject", {})
        assert status == 409 and again["title"] == "Already rejected"

        _, log = await baku.api("GET", f"/api/translations/decisions?story={story['id']}")
        assert [(d["action"], d["actor"], d["status_after"]) for d in log["decisions"]] == [
            ("submitted", "Leyla Mammadova", "pending_review"), ("approved", "Rashad", "approved"),
            ("edited", "Nigar", "approved"), ("rejected", "Rashad", "rejected")]
        assert log["decisions"][-1]["note"] == "wrong port name"


async def test_translations__machine_output_waits_or_goes_out_labelled(tmp_path):
    """With review_machine on (the default) an engine's translation waits; a person's edit makes it
    machine+human. With it off, machine output goes out at once, labelled machine with its engine."""
    from node.translation.review import add_machine_translation

    async with _node(tmp_path, "baku", None) as baku, \
            _node(tmp_path, "ankara", None, translation={"review_machine": False}) as ankara, \
            _node(tmp_path, "astana", None) as astana:
        await _follow(astana, ankara)
        _, story = await baku.api("POST", "/api/stories", STORY)
        row = await baku.db(add_machine_translation, baku.node.fed, "baku", story["id"], "en", "Ferry reopens",
                            "", "<p>The ferry reopens.</p>", engine="libretranslate", source_language="az")
        assert (row.status, row.method, row.engine) == ("pending_review", "machine", "libretranslate")
        status, doc = await baku.api("PATCH", f"/api/stories/{story['id']}/translations/en",
                                     {"body": "<p>The Baku-Aktau ferry reopens.</p>"})
        assert status == 200 and doc["method"] == "machine+human" and doc["status"] == "pending_review"

        _, own = await ankara.api("POST", "/api/stories", {**STORY, "language": "tr"})
        row = await ankara.db(add_machine_translation, ankara.node.fed, "ankara", own["id"], "kk", "Паром",
                              "", "<p>Паром ашылады.</p>", engine="libretranslate", source_language="tr")
        assert row.status == "approved"
        await settle(ankara, astana)
        kk = (await _languages(astana, own["url"]))["kk"]
        assert (kk["method"], kk["engine"], kk["kind"]) == ("machine", "libretranslate", "translation")


@pytest.mark.postgres
async def test_translations__offer_accepted_reaches_every_follower_credited(tmp_path, database_url):
    """Astana offers a human kk translation of Baku's story; Baku's editor accepts it; every follower's copy
    gains kk credited to Astana, and Astana learns its offer was accepted."""
    async with _node(tmp_path, "baku", database_url) as baku, _node(tmp_path, "ankara", database_url) as ankara, \
            _node(tmp_path, "astana", database_url) as astana:
        await _follow(ankara, baku)
        await _follow(astana, baku)
        story = await _publish_and_translate(baku, ankara, astana, languages=(EN,))
        await baku.api("POST", f"/api/stories/{story['id']}/translations/en/approve", {"reviewer": "Rashad"})
        await settle(baku, ankara, astana)

        status, sent = await astana.api("POST", "/api/wire/offers", {**KK, "story": story["url"]})
        assert status == 202, sent
        status, obj, _ = await astana.get(sent["object"].removeprefix(astana.base_url))
        link = [t for t in obj["tag"] if t["type"] == "Link"][0]
        assert link["href"] == story["url"] and link["mediaType"] == "application/activity+json"
        assert obj["contentMap"] == {"kk": KK["body"]} and obj["attributedTo"] == astana.actor_id
        await settle(baku, ankara, astana)

        _, offers = await baku.api("GET", "/api/offers?state=offered")
        assert len(offers["offers"]) == 1
        offer = offers["offers"][0]
        assert (offer["language"], offer["agency"], offer["translator"]) == ("kk", astana.actor_id, KK["translator"])
        assert set(await _languages(ankara, story["url"])) == {"az", "en"}  # not in the story until accepted

        status, doc = await baku.api("POST", f"/api/offers/{offer['id']}/accept", {"editor": "Rashad"})
        assert status == 200, doc
        assert (doc["status"], doc["translated_by"], doc["reviewer"]) == ("approved", astana.actor_id, "Rashad")
        await settle(baku, ankara, astana)
        for follower in (ankara, astana):
            kk = (await _languages(follower, story["url"]))["kk"]
            assert kk["translated_by"] == astana.actor_id and kk["method"] == "human" and kk["source_language"] == "az"
            assert kk["headline"] == KK["headline"]
        assert set(await _languages(ankara, story["url"])) == {"az", "en", "kk"}
        _, mine = await astana.api("GET", "/api/wire/offers")
        assert mine["offers"][0]["state"] == "accepted"
        status, again = await baku.api("POST", f"/api/offers/{offer['id']}/decline", {})
        assert status == 409
        _, log = await baku.api("GET", f"/api/translations/decisions?story={story['id']}&language=kk")
        assert [d["action"] for d in log["decisions"]] == ["offer_accepted"]
        assert astana.actor_id in log["decisions"][0]["note"]


async def test_translations__offer_declined_is_reported_back(tmp_path):
    """A declined offer changes nothing in the story and the offering agency sees the reason."""
    async with _node(tmp_path, "baku", None) as baku, _node(tmp_path, "astana", None) as astana:
        await _follow(astana, baku)
        story = await _publish_and_translate(baku, astana, languages=())
        await astana.api("POST", "/api/wire/offers", {**KK, "story": story["url"]})
        await settle(baku, astana)
        _, offers = await baku.api("GET", "/api/offers")
        status, doc = await baku.api("POST", f"/api/offers/{offers['offers'][0]['id']}/decline",
                                     {"reason": "we have our own Kazakh desk"})
        assert status == 200 and doc["state"] == "declined"
        await settle(baku, astana)
        _, mine = await astana.api("GET", "/api/wire/offers")
        assert (mine["offers"][0]["state"], mine["offers"][0]["note"]) == ("declined", "we have our own Kazakh desk")
        assert await baku.db(lambda: StoryTranslation.all().count()) == 0


async def test_translations__offer_edited_then_withdrawn_before_the_origin_decides(tmp_path):
    """The offering agency fixes its offer (the origin's editor sees the new text), then withdraws it: the origin
    can no longer accept it, our object is a Tombstone, and a decided offer can be neither edited nor withdrawn."""
    async with _node(tmp_path, "baku", None) as baku, _node(tmp_path, "astana", None) as astana:
        await _follow(astana, baku)
        story = await _publish_and_translate(baku, astana, languages=())
        status, sent = await astana.api("POST", "/api/wire/offers", {**KK, "story": story["url"]})
        assert status == 202, sent
        await settle(baku, astana)

        status, doc = await astana.api("PATCH", f"/api/wire/offers/{sent['id']}",
                                       {"headline": "Баку-Ақтау паромы қайта жүреді", "translator": "Айгүл"})
        assert status == 202 and doc["headline"] == "Баку-Ақтау паромы қайта жүреді", doc
        await settle(baku, astana)
        _, received = await baku.api("GET", "/api/offers")
        (offer,) = received["offers"]
        assert (offer["headline"], offer["translator"], offer["state"]) == (
            "Баку-Ақтау паромы қайта жүреді", "Айгүл", "offered")
        assert offer["body_html"] == KK["body"]  # the body is kept when only the headline changes
        status, problem = await astana.api("PATCH", f"/api/wire/offers/{sent['id']}", {"body_format": "html"})
        assert status == 422 and problem["title"] == "Nothing to change"

        status, doc = await astana.api("DELETE", f"/api/wire/offers/{sent['id']}")
        assert status == 202 and doc["state"] == "withdrawn", doc
        status, tomb, _ = await astana.get(sent["object"].removeprefix(astana.base_url))
        assert status == 410 and tomb["type"] == "Tombstone"
        await settle(baku, astana)
        _, received = await baku.api("GET", "/api/offers?state=withdrawn")
        assert [o["id"] for o in received["offers"]] == [offer["id"]]
        status, problem = await baku.api("POST", f"/api/offers/{offer['id']}/accept", {})
        assert status == 409 and problem["title"] == "Offer already withdrawn"
        assert await baku.db(lambda: StoryTranslation.all().count()) == 0

        for method, body in (("PATCH", {"headline": "x"}), ("DELETE", None)):
            status, problem = await astana.api(method, f"/api/wire/offers/{sent['id']}", body)
            assert status == 409 and problem["title"] == "Offer already withdrawn", problem
        status, problem = await astana.api("DELETE", "/api/wire/offers/999999")
        assert status == 404

        # A declined offer is decided: it stays as the origin left it.
        status, again = await astana.api("POST", "/api/wire/offers", {**KK, "language": "ru", "story": story["url"]})
        assert status == 202, again
        await settle(baku, astana)
        _, received = await baku.api("GET", "/api/offers?state=offered")
        await baku.api("POST", f"/api/offers/{received['offers'][0]['id']}/decline", {"reason": "no"})
        await settle(baku, astana)
        status, problem = await astana.api("DELETE", f"/api/wire/offers/{again['id']}")
        assert status == 409 and problem["title"] == "Offer already declined"


async def test_translations__offers_refused_with_reason(tmp_path):
    """Offers from an agency that neither follows nor is followed, for the story's original language, or with
    an oversized body are refused: nothing stored at the origin, and the offering node learns why."""
    async with _node(tmp_path, "baku", None, translation={"max_body_chars": 1000}) as baku, \
            _node(tmp_path, "astana", None) as astana:
        await _follow(astana, baku)
        story = await _publish_and_translate(baku, astana, languages=())

        status, doc = await astana.api("POST", "/api/wire/offers", {**KK, "language": "az", "story": story["url"]})
        assert status == 409 and doc["title"] == "Language is the original"
        status, doc = await astana.api("POST", "/api/wire/offers", {**KK, "language": "xx-Zzzz",
                                                                     "story": story["url"]})
        assert status == 422 and "language" in doc["detail"]

        big = {**KK, "language": "ru", "body": "<p>" + "ы" * 2000 + "</p>", "story": story["url"]}
        status, doc = await astana.api("POST", "/api/wire/offers", big)  # within Astana's own limit
        assert status == 202, doc
        await settle(baku, astana)
        _, mine = await astana.api("GET", "/api/wire/offers")
        assert mine["offers"][0]["state"] == "declined" and "limit is 1000" in mine["offers"][0]["note"]

        status, _ = await astana.api("POST", "/api/following/unfollow", {"handle": baku.handle})
        assert status == 200
        await settle(baku, astana)
        status, doc = await astana.api("POST", "/api/wire/offers", {**KK, "story": story["url"]})
        assert status == 202
        await settle(baku, astana)
        _, mine = await astana.api("GET", "/api/wire/offers")
        kk = [o for o in mine["offers"] if o["language"] == "kk"][0]
        assert kk["state"] == "declined" and "follow" in kk["note"]
        assert await baku.db(lambda: TranslationOffer.all().count()) == 0


async def test_translations__bad_input(tmp_path):
    """Unknown or malformed tags, a translation into the original language, a duplicate, an oversized body,
    an unknown story: clear problem documents and nothing stored."""
    async with _node(tmp_path, "baku", None, translation={"max_body_chars": 1000}) as baku:
        _, story = await baku.api("POST", "/api/stories", STORY)
        path = f"/api/stories/{story['id']}/translations"
        for tag, status_ in (("xx", 422), ("en-XX", 422), ("english", 422), ("az-Qqqq", 422), ("", 422)):
            status, doc = await baku.api("POST", path, {**EN, "language": tag})
            assert status == status_ and doc["type"] == "about:blank" and doc["detail"], (tag, doc)
        status, doc = await baku.api("POST", path, {**EN, "language": "AZ"})
        assert status == 409 and doc["title"] == "Language is the original"
        status, doc = await baku.api("POST", path, {**EN, "body": "<p>" + "x" * 1200 + "</p>"})
        assert status == 413 and "1000" in doc["detail"]
        status, doc = await baku.api("POST", path, {**EN, "body": "<script>alert(1)</script>"})
        assert status == 422 and doc["title"] == "Empty body"
        status, doc = await baku.api("POST", "/api/stories/nope/translations", EN)
        assert status == 404
        assert await baku.db(lambda: StoryTranslation.all().count()) == 0

        status, doc = await baku.api("POST", path, {**EN, "language": "EN"})
        assert status == 201 and doc["language"] == "en"
        status, doc = await baku.api("POST", path, EN)
        assert status == 409 and doc["title"] == "Translation exists"
        status, doc = await baku.api("PATCH", f"/api/stories/{story['id']}", {"language": "en"})
        assert status == 409 and doc["title"] == "Language has a translation"
        status, doc = await baku.api("POST", f"{path}/request", {"languages": ["ru"]})
        assert status == 501 and doc["title"] == "No translation engine", doc  # this node has no engine
        status, doc = await baku.api("POST", "/api/stories", {**STORY, "language": "qq"})
        assert status == 422 and "qq" in doc["detail"]


async def test_translations__languages_named_in_viewer_language(tmp_path):
    """The API lists the agency's languages with CLDR names in the viewer's language; the story page names
    every available language and labels translations."""
    async with _node(tmp_path, "baku", None, channels={"languages": ["ru", "zh-hans"]}) as baku:
        status, doc = await baku.api("GET", "/api/languages?locale=ru")
        assert status == 200
        assert doc["languages"] == [{"language": "az", "name": "азербайджанский", "native_name": "azərbaycan"}]
        assert {c["language"]: c["actor"] for c in doc["channels"]} == {"ru": "baku_ru", "zh-Hans": "baku_zh_hans"}
        status, doc = await baku.api("GET", "/api/languages?locale=klingon")
        assert status == 422

        _, story = await baku.api("POST", "/api/stories", STORY)
        await baku.api("POST", f"/api/stories/{story['id']}/translations", RU)
        await baku.api("POST", f"/api/stories/{story['id']}/translations/ru/approve", {})
        status, page, _ = await baku.get(f"/stories/{story['id']}?lang=ru", accept="text/html")
        assert status == 200 and RU["headline"] in page and "азербайджанский" in page
        assert "перевод, сделанный людьми" in page  # how it was made, said in the page's language


def _key_of(node, username: str):
    async def resolve(key_id: str):
        return load_public_key(node.node.keys[username].public_key_pem)
    return resolve


@pytest.mark.postgres
async def test_translations__language_channel_follower_gets_only_its_language(tmp_path, database_url):
    """A Mastodon-style follower of @baku_ru receives the story only once Russian is approved, as a
    single-language object signed by the channel's own key; the agency's partners still get every language."""
    async with _node(tmp_path, "baku", database_url, channels={"languages": ["ru", "en"]}) as baku, \
            _node(tmp_path, "ankara", database_url) as ankara, FakeRemote() as remote:
        status, jrd, _ = await baku.get(f"/.well-known/webfinger?resource=acct:baku_ru@{baku.config.host}",
                                        accept="application/jrd+json")
        assert status == 200
        channel_url = [link["href"] for link in jrd["links"] if link.get("rel") == "self"][0]
        status, actor, _ = await baku.get("/actors/baku_ru")
        assert actor["id"] == channel_url and "(русский)" in actor["name"]
        assert actor["summary"].endswith("новости на русском языке.")  # said in the channel's language
        _, agency_actor, _ = await baku.get("/actors/baku")
        assert actor["publicKey"]["publicKeyPem"] != agency_actor["publicKey"]["publicKeyPem"]
        # The channel signs its posts with its own Ed25519 Multikey (FEP-521a), listed in assertionMethod.
        [channel_key] = actor["assertionMethod"]
        assert channel_key["controller"] == channel_url
        assert channel_key["id"] not in [k["id"] for k in agency_actor["assertionMethod"]]

        remote.key_resolver = _key_of(baku, "baku_ru")
        alice = remote.url("/users/alice")
        remote.serve_actor(remote.generated_actor(alice))
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": remote.url("/follows/1"),
                  "type": "Follow", "actor": alice, "object": channel_url}
        status, _ = await remote.post_signed(channel_url + "/inbox", follow)
        assert status == 202
        await _follow(ankara, baku)
        accepts = [r.json() for r in remote.received if r.json()["type"] == "Accept"]
        assert accepts and accepts[0]["actor"] == channel_url

        story = await _publish_and_translate(baku, ankara, languages=(RU, EN))
        await settle(baku, ankara)
        assert [r for r in remote.received if r.json()["type"] != "Accept"] == []  # nothing before approval
        await baku.api("POST", f"/api/stories/{story['id']}/translations/ru/approve", {})
        await settle(baku, ankara)

        posts = [r for r in remote.received if r.json()["type"] in ("Create", "Update")]
        assert len(posts) == 1 and posts[0].verified is True
        activity = posts[0].json()
        obj = activity["object"]
        assert activity["type"] == "Create" and activity["actor"] == channel_url
        from federation.integrity import verify_document
        from federation.multikey import ed25519_from_multibase
        channel_public = ed25519_from_multibase(channel_key["publicKeyMultibase"])
        assert verify_document(activity, channel_public).verification_method == channel_key["id"]
        assert obj["attributedTo"] == channel_url and obj["id"] == story["url"] + "/ru"
        assert obj["contentMap"] == {"ru": obj["content"]} and obj["content"] == RU["body"]
        assert obj["nameMap"] == {"ru": RU["headline"]} and obj["summaryMap"] == {"ru": RU["summary"]}
        assert "az" not in str(obj.get("contentMap")) and STORY["body"] not in posts[0].body.decode()
        status, served, _ = await baku.get(f"/stories/{story['id']}/ru")
        assert status == 200 and served["contentMap"] == {"ru": RU["body"]}
        status, _, _ = await baku.get(f"/stories/{story['id']}/en")
        assert status == 404  # English not approved yet

        status, _ = await baku.api("PATCH", f"/api/stories/{story['id']}/translations/ru",
                                   {"headline": "Паром Баку-Актау снова в строю"})
        await settle(baku, ankara)
        updates = [r.json() for r in remote.received if r.json()["type"] == "Update"]
        assert len(updates) == 1 and updates[0]["object"]["updated"]
        assert updates[0]["object"]["nameMap"] == {"ru": "Паром Баку-Актау снова в строю"}
        assert set(await _languages(ankara, story["url"])) == {"az", "ru"}

        await baku.api("DELETE", f"/api/stories/{story['id']}")
        await settle(baku, ankara)
        deletes = [r.json() for r in remote.received if r.json()["type"] == "Delete"]
        assert len(deletes) == 1 and deletes[0]["object"]["id"] == story["url"] + "/ru"
        assert await ankara.db(lambda: WireTranslation.all().count()) == 0


async def test_translations__partner_cannot_replace_original(tmp_path):
    """A third agency's translation object linked to Baku's story, or an Update naming Baku's story, sent to
    Ankara never touches Ankara's copy: the original language and text stay Baku's."""
    import uuid

    import orjson

    from federation.outbox import enqueue
    from federation.store.models import Delivery, InboxItem

    async with _node(tmp_path, "baku", None) as baku, _node(tmp_path, "ankara", None) as ankara, \
            _node(tmp_path, "astana", None) as astana:
        await _follow(ankara, baku)
        await _follow(astana, baku)
        await _follow(ankara, astana)
        story = await _publish_and_translate(baku, ankara, astana, languages=())
        await astana.api("POST", "/api/wire/offers", {**KK, "language": "en", "story": story["url"]})
        offer = await astana.db(lambda: OutboxActivity.get(type="Create", actor="astana"))
        doc = orjson.loads(offer.body)
        forged = {**doc, "id": astana.base_url + "/activities/" + str(uuid.uuid4()), "type": "Update",
                  "object": {**doc["object"], "id": story["url"], "tag": []}}
        resent = {**doc, "id": astana.base_url + "/activities/" + str(uuid.uuid4())}
        for activity in (resent, forged):
            await astana.db(enqueue, astana.node.fed, username="astana", activity=activity,
                            inboxes=[ankara.base_url + "/inbox"])
        await settle(baku, ankara, astana)

        assert set(await _languages(ankara, story["url"])) == {"az"}
        _, wire = await ankara.api("GET", "/api/wire")
        assert [(s["id"], s["language"], s["headline"]) for s in wire["stories"]] == [
            (story["url"], "az", STORY["headline"])]
        notes = await ankara.db(lambda: InboxItem.filter(type="Create", actor_uri=astana.actor_id)
                                .values_list("state", "note"))
        assert notes and notes[0][0] == "ignored" and "not one of our stories" in notes[0][1]
        refused = await astana.db(lambda: Delivery.filter(activity__type="Update").values_list("last_status",
                                                                                              flat=True))
        assert refused == [400]  # the object id is not on Astana's host: refused at the inbox


async def test_translations__approval_is_all_or_nothing(tmp_path, monkeypatch):
    """If queueing the Update fails, the approval did not happen: still pending, no decision recorded, same
    story version; the next try succeeds."""
    import node.stories.fanout as fanout
    from node.stories.models import Story
    from node.translation.models import TranslationDecision

    async with _node(tmp_path, "baku", None) as baku:
        story = await _publish_and_translate(baku, languages=(EN,))
        real = fanout.enqueue

        async def broken(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(fanout, "enqueue", broken)
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/en/approve", {})
        assert status == 500 and doc["status"] == 500
        assert await baku.db(lambda: StoryTranslation.get(language="en").values_list("status", flat=True)) == \
            "pending_review"
        assert await baku.db(lambda: TranslationDecision.all().values_list("action", flat=True)) == ["submitted"]
        assert await baku.db(lambda: Story.get(uuid=story["id"]).values_list("version", flat=True)) == 1
        assert await baku.db(lambda: OutboxActivity.filter(type="Update").count()) == 0

        monkeypatch.setattr(fanout, "enqueue", real)
        status, doc = await baku.api("POST", f"/api/stories/{story['id']}/translations/en/approve", {})
        assert status == 200 and doc["status"] == "approved"
        assert await baku.db(lambda: OutboxActivity.filter(type="Update").count()) == 1


async def test_translations__offer_from_another_server_is_sanitized_or_refused(tmp_path):
    """An offer from a follower on another server has its HTML sanitized before an editor sees it; a malformed
    one (two languages at once) is refused with a Reject that says why, and nothing is stored."""
    async with _node(tmp_path, "baku", None) as baku, FakeRemote() as remote:
        remote.key_resolver = _key_of(baku, "baku")
        alice = remote.url("/users/alice")
        remote.serve_actor(remote.generated_actor(alice))
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": remote.url("/follows/1"),
                  "type": "Follow", "actor": alice, "object": baku.actor_id}
        assert (await remote.post_signed(baku.base_url + "/inbox", follow))[0] == 202
        _, story = await baku.api("POST", "/api/stories", STORY)
        await settle(baku)

        def offer(n: int, content_map: dict[str, str]) -> dict[str, Any]:
            obj = {"id": remote.url(f"/translations/{n}"), "type": "Article", "attributedTo": alice,
                   "name": "<b>Паром</b>", "content": next(iter(content_map.values())), "contentMap": content_map,
                   "tag": [{"type": "Link", "rel": "https://agency-node.org/ns#translationOf",
                            "mediaType": "application/activity+json", "href": story["url"]}]}
            return {"@context": "https://www.w3.org/ns/activitystreams", "id": remote.url(f"/create/{n}"),
                    "type": "Create", "actor": alice, "to": [baku.actor_id], "object": obj}

        evil = '<p onclick="x()">Паром <script>alert(1)</script><a href="javascript:x()">тут</a></p>'
        assert (await remote.post_signed(baku.base_url + "/inbox", offer(1, {"ru": evil})))[0] == 202
        assert (await remote.post_signed(baku.base_url + "/inbox",
                                         offer(2, {"ru": "<p>a</p>", "en": "<p>b</p>"})))[0] == 202
        await settle(baku)

        _, offers = await baku.api("GET", "/api/offers")
        assert len(offers["offers"]) == 1
        got = offers["offers"][0]
        assert got["headline"] == "Паром" and "script" not in got["body_html"] and "onclick" not in got["body_html"]
        assert "javascript" not in got["body_html"] and "Паром" in got["body_html"]
        rejects = [r.json() for r in remote.received if r.json()["type"] == "Reject"]
        assert len(rejects) == 1 and rejects[0]["object"]["id"] == remote.url("/translations/2")
        assert "exactly one language" in rejects[0]["summary"]
