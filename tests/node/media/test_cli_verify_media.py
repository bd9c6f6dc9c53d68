"""`agency-node verify` reports the media verdicts, run as a real process against a real node on loopback."""

from __future__ import annotations

from tests.node.media.test_stock_api import AUTH, png
from tests.node.test_cli_proofs import _cli, _init
from tests.nodes import running_node


async def test_cli_verify_media__each_file_checked_and_a_changed_file_is_exit_10(tmp_path):
    """verify fetches each attachment with a digest: a matching file prints verified (exit 0); once the origin
    serves other bytes under the signed digest, the proof still holds but the file is a mismatch (exit 10)."""
    work = tmp_path / "cli"
    work.mkdir()
    _init(work)
    async with running_node(tmp_path, "alpha") as alpha:
        async with alpha.session.post(alpha.base_url + "/api/media", data=png(9, 9), params={"alt": "A crane"},
                                      headers=AUTH) as resp:
            item = await resp.json()
        status, story = await alpha.api("POST", "/api/stories", {"headline": "Cranes", "language": "en",
                                                                 "body": "<p>Body.</p>", "image": item["id"]})
        assert status == 201, story

        code, out, err = await _cli("verify", story["url"], cwd=work)
        assert code == 0, (out, err)
        assert f"media:   verified: {item['url']}" in out

        alpha.node.media_store.path(item["id"]).write_bytes(png(9, 10))
        code, out, err = await _cli("verify", story["url"], cwd=work)
        assert code == 10, (out, err)
        assert "status:  verified" in out and f"media:   mismatch: {item['url']}" in out and item["id"] in out
