"""Rendering desk pages: one Jinja2 environment with autoescaping, the i18n extension bound to each request's
locale, and the context every page shares (who, CSRF token, navigation, language).

The environment is made at the first page rendered, not at start-up: a node restarted after a crash answers its
peers and resumes its queues without loading Jinja2 first."""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any, Mapping

from aiohttp import web

from node.accounts.audit import Principal
from node.accounts.guard import PRINCIPAL
from node.accounts.roles import allows
from node.desk.i18n import DeskLocale, desk_locale, native_names
from node.desk.keys import DESK_LOCALE, DESK_USER
from node.desk.factcheck_words import VERDICT_WORDS
from node.desk.words import N_
from node.web.keys import NODE

if TYPE_CHECKING:
    import jinja2

__all__ = ["FLASH_COOKIE", "environment", "flash", "render", "render_string", "render_template", "setup", "redirect"]

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


def _gettext(ctx: Any, message: str, **variables: Any) -> str:
    loc: DeskLocale = ctx["loc"]
    text = loc.translations.gettext(message)
    return text % variables if variables else text


def _ngettext(ctx: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
    loc: DeskLocale = ctx["loc"]
    text = loc.translations.ngettext(singular, plural, n)
    return text % {"num": n, **variables}


class _Templates:
    """The app's desk environment, made at first use."""

    def __init__(self) -> None:
        self._env: jinja2.Environment | None = None

    def environment(self) -> "jinja2.Environment":
        if self._env is None:
            self._env = _make_environment()
        return self._env


_TEMPLATES: web.AppKey[_Templates] = web.AppKey("desk_templates", _Templates)


def setup(app: web.Application) -> None:
    """Give the app its desk environment (made at the first page rendered, see `environment`)."""
    app[_TEMPLATES] = _Templates()


def environment(app: web.Application | Mapping[Any, Any]) -> "jinja2.Environment":
    """The desk's Jinja2 environment: templates from the package, autoescape always on, the `{% trans %}`/`_()`
    i18n extension in new style (placeholders are escaped), babel formatting as filters."""
    return app[_TEMPLATES].environment()


def _make_environment() -> "jinja2.Environment":
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("node.desk", "templates"), autoescape=True,
        extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(jinja2.pass_context(_gettext), jinja2.pass_context(_ngettext),  # type: ignore
                                  newstyle=True)
    env.globals["verdict_words"] = VERDICT_WORDS  # fact-check verdicts, on the wire and in compose
    env.filters.update({
        "dt": _filter("datetime"), "date": _filter("date"), "time": _filter("time"), "num": _filter("number"),
        "ago": _filter("ago"), "langname": _filter("language_name"),
    })
    return env


def _filter(name: str) -> Any:
    import jinja2

    @jinja2.pass_context
    def apply(ctx: Any, value: Any, *args: Any) -> str:
        return getattr(ctx["loc"], name)(value, *args)
    return apply


def render_string(template: str, request: web.Request, context: Mapping[str, Any]) -> str:
    """`template` rendered with exactly `context` (a fragment: nothing shared is added)."""
    return environment(request.config_dict).get_template(template).render(context)


def render_template(template: str, request: web.Request, context: Mapping[str, Any], *,
                    status: int = 200) -> web.Response:
    """An HTML response of `template` rendered with exactly `context`."""
    return web.Response(text=render_string(template, request, context), status=status, content_type="text/html",
                        charset="utf-8")


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
    response = render_template(template, request, {**shared, **(context or {})}, status=status)
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
