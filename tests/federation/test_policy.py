"""Trust policy: blocklist and allowlist by domain, partners always allowed and recognised."""

from __future__ import annotations

import pytest

from federation.policy import TrustPolicy, host_of


def test_host_of__urls_handles_and_hosts():
    """Hosts come out of URLs, acct handles and bare host:port strings alike."""
    assert host_of("https://News.Example.org/actors/a") == "news.example.org"
    assert host_of("acct:desk@news.example.org") == "news.example.org"
    assert host_of("@desk@127.0.0.1:8123") == "127.0.0.1:8123"
    assert host_of("127.0.0.1:8123") == "127.0.0.1:8123"


def test_blocklist__blocks_listed_domains_and_subdomains_only():
    """Blocklist mode refuses the listed domain and its subdomains, nothing else."""
    policy = TrustPolicy(mode="blocklist", domains=("spam.example",))
    assert not policy.allows_host("https://spam.example/actors/x")
    assert not policy.allows_host("https://relay.spam.example/inbox")
    assert policy.allows_host("https://notspam.example/inbox")
    assert policy.allows_host("https://news.example.org/inbox")


def test_allowlist__only_listed_domains_and_partners():
    """Allowlist mode lets only listed domains and partners' domains federate."""
    policy = TrustPolicy(mode="allowlist", domains=("wire.example",),
                         partners=("https://partner.example/actors/p", "desk@friend.example"))
    assert policy.allows_host("https://wire.example/inbox")
    assert policy.allows_host("https://partner.example/inbox")
    assert policy.allows_host("https://friend.example/inbox")
    assert not policy.allows_host("https://mastodon.example/inbox")


def test_port_entries_match_only_that_port():
    """An entry with a port (loopback test nodes) matches that port alone."""
    policy = TrustPolicy(domains=("127.0.0.1:8001",))
    assert not policy.allows_host("http://127.0.0.1:8001/inbox")
    assert policy.allows_host("http://127.0.0.1:8002/inbox")


def test_is_partner__by_uri_or_handle():
    """Partners are recognised by actor URI or by handle; others are not partners."""
    policy = TrustPolicy(partners=("https://partner.example/actors/p", "acct:Desk@Friend.example"))
    assert policy.is_partner("https://partner.example/actors/p")
    assert policy.is_partner("https://friend.example/actors/desk", handle="desk@friend.example")
    assert not policy.is_partner("https://partner.example/actors/other")
    assert not TrustPolicy().is_partner("https://partner.example/actors/p")


def test_partner_on_blocked_domain_still_allowed():
    """Naming a partner is an explicit trust decision that outranks a domain block."""
    policy = TrustPolicy(domains=("partner.example",), partners=("https://partner.example/actors/p",))
    assert policy.allows_host("https://partner.example/inbox")


def test_bad_mode_is_refused():
    """An unknown mode is a configuration error, not a silent default."""
    with pytest.raises(ValueError, match="trust mode"):
        TrustPolicy(mode="open")
