"""Rendering desk pages: one Jinja2 environment (aiohttp-jinja2) with autoescaping, the i18n extension bound to
each request's locale, and the context every page shares (who, CSRF token, navigation, language)."""

from __future__ import annotations

import urllib.parse
from typing import Any, Mapping

import aiohttp_jinja2
import jinja2
from aiohttp import web

from node.accounts.audit import Principal
from node.accounts.guard import PRINCIPAL
from node.accounts.roles import allows
from node.desk.i18n import DeskLocale, desk_locale, native_names
from node.desk.keys import DESK_LOCALE, DESK_USER
from node.desk.factcheck_words import VERDICT_WORDS
from node.desk.words import N_
from node.web.keys import NODE

__all__ = ["FLASH_COOKIE", "flash", "render", "setup", "redirect"]

FLASH_COOKIE = "desk_flash"

# The desk's sections: (path, label, permission that shows it). The labels are msgids (translated in base.html).
NAV = (
    ("/desk/wire", N_("Wire"), "read"),
    ("/desk/factchecks", N_("Fact-checks"), "read"),
    ("/desk/compose", N_("Compose"), "publish"),
    ("/desk/stories", N_("My stories"), "read"),
    ("/desk/translations", N_("Translations"), "read"),
    ("/desk/network", N_("Network"), "read"),
    ("/desk/verify", N_("Verify"), "read"),
    ("/desk/operations", N_("Operations"), "operations"),
)


@jinja2.pass_context
def _gettext(ctx: Any, message: str, **variables: Any) -> str:
    loc: DeskLocale = ctx["loc"]
    text = loc.translations.gettext(message)
    return text % variables if variables else text


@jinja2.pass_context
def _ngettext(ctx: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
    loc: DeskLocale = ctx["loc"]
    text = loc.translations.ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def setup(app: web.Application) -> None:
    """The desk's Jinja2 environment on the app: templates from the package, autoescape always on, the
    `{% trans %}`/`_()` i18n extension in new style (placeholders are escaped), babel formatting as filters."""
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.PackageLoader("node.desk", "templates"), autoescape=True,
        extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["verdict_words"] = VERDICT_WORDS  # fact-check verdicts, on the wire and in compose
    env.filters.update({
        "dt": _filter("datetime"), "date": _filter("date"), "time": _filter("time"), "num": _filter("number"),
        "ago": _filter("ago"), "langname": _filter("language_name"),
    })


def _filter(name: str) -> Any:
    @jinja2.pass_context
    def apply(ctx: Any, value: Any, *args: Any) -> str:
        return getattr(ctx["loc"], name)(value, *args)
    return apply


def locale_of(request: web.Request) -> DeskLocale:
    """The request's desk locale (set by the gate; English before it ran)."""
    return request.get(DESK_LOCALE) or desk_locale("en")


def render(request: web.Request, template: str, context: Mapping[str, Any] | None = None, *,
           status: int = 200) -> web.Response:
    """A desk page: `template` with `context` and what every page shares."""
    who: Principal | None = request.get(PRINCIPAL)
    loc = locale_of(request)
    node = request.app[NODE]
    shared = {
        "loc": loc, "who": who, "user": request.get(DESK_USER),
        "csrf_token": who.csrf_token if who is not None else "",
        "nav": [(p, label) for p, label, perm in NAV if who is not None and allows(who.role, perm)],
        "path": request.path, "agency": node.config.agency, "languages": native_names(),
        "flash": urllib.parse.unquote(request.cookies.get(FLASH_COOKIE, ""))[:300],
        "can": (lambda permission: who is not None and allows(who.role, permission)),
    }
    response = aiohttp_jinja2.render_template(template, request, {**shared, **(context or {})}, status=status)
    response.headers.setdefault("Cache-Control", "no-store")
    if shared["flash"]:
        response.del_cookie(FLASH_COOKIE, path="/desk")
    return response


def redirect(location: str, message: str = "") -> web.HTTPSeeOther:
    """A 303 to `location` after a change; `message` (already translated) shows once on the next page."""
    exc = web.HTTPSeeOther(location)
    if message:
        exc.set_cookie(FLASH_COOKIE, urllib.parse.quote(message[:300]), path="/desk", httponly=True,
                       samesite="Lax", max_age=60)
    return exc


def flash(response: web.StreamResponse, message: str) -> None:
    """Show `message` once on the next desk page."""
    response.set_cookie(FLASH_COOKIE, urllib.parse.quote(message[:300]), path="/desk", httponly=True,
                        samesite="Lax", max_age=60)
