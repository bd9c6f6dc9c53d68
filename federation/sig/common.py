"""What both signature specs share: the Host and Date header values a signer sends and a verifier expects."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import urlsplit

__all__ = ["aware", "host_header", "http_date"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_header(url: str) -> str:
    """host[:port] of `url` for the Host header; the port only when it is not the default."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2].lower()
    if parts.port is not None and parts.port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = host.rsplit(":", 1)[0]
    return host


def http_date(now: datetime) -> str:
    """RFC 7231 IMF-fixdate, e.g. "Wed, 20 Dec 2023 10:00:00 GMT"."""
    return format_datetime(aware(now).astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def aware(moment: datetime) -> datetime:
    """`moment` with UTC attached when it is naive."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
