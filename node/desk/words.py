"""Words the desk shows that the code names by value (roles, sections): marked with `N_` so that
`pybabel extract -k N_` puts them in the catalogues; they are translated where shown (`loc.gettext(value)`)."""

from __future__ import annotations

__all__ = ["N_", "ROLE_NAMES"]


def N_(message: str) -> str:
    """Mark `message` for extraction; it is translated later, where it is shown."""
    return message


ROLE_NAMES = (N_("viewer"), N_("translator"), N_("editor"), N_("admin"))
