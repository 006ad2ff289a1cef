"""The security settings in force and the data-visibility rules, for the auditor's report.

Values come from the app's config; the headers and the session cookie's flags are read from
one real response of the sign-in page, so the report shows what a browser actually gets.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kb.auth.models import Role, User
from kb.extensions import db

NOT_CONFIGURED = _l("ej konfigurerad")
PROBED_HEADERS = (
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
)


def _on(value: bool) -> str:
    return _("på") if value else _("av")


def _duration(value: timedelta | int) -> str:
    seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
    if seconds % 3600 == 0:
        return _("%(hours)s timmar", hours=seconds // 3600)
    return _("%(minutes)s minuter", minutes=seconds // 60)


def probe_response(app: Flask) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers and session-cookie attributes of one GET of the sign-in page."""
    response = app.test_client().get("/logga-in")
    headers = {name: response.headers.get(name, "") for name in PROBED_HEADERS}
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    flags: dict[str, Any] = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        if cookie_name in parsed:
            morsel = parsed[cookie_name]
            flags = {
                "httponly": bool(morsel["httponly"]),
                "secure": bool(morsel["secure"]),
                "samesite": morsel["samesite"] or "",
            }
    return headers, flags


def password_hashing() -> dict[str, Any]:
    """The method new passwords get, and how many stored hashes use each method."""
    probe = User()
    probe.set_password("ett-lösenord-som-bara-mäter-metoden")
    stored = Counter(
        (hash_.split("$", 1)[0].split(":", 1)[0] if "$" in hash_ else "inget")
        for hash_ in db.session.scalars(select(User.password_hash))
    )
    return {"method": probe.password_hash.split("$", 1)[0], "stored": dict(sorted(stored.items()))}


def _item(key: str, label: str, value: Any, shown: str | None = None) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "value": value,
        "shown": str(value) if shown is None else shown,
    }


def security_settings(app: Flask) -> list[dict[str, Any]]:
    config = app.config
    headers, cookie = probe_response(app)
    hashing = password_hashing()
    lifetime = config["PERMANENT_SESSION_LIFETIME"]
    hsts = headers["Strict-Transport-Security"]
    return [
        _item("environment", _("Miljö (KB_ENV)"), config.get("ENVIRONMENT")),
        _item(
            "session_cookie_httponly",
            _("Sessionskaka: HttpOnly"),
            cookie.get("httponly"),
            _on(bool(cookie.get("httponly"))),
        ),
        _item(
            "session_cookie_samesite",
            _("Sessionskaka: SameSite"),
            cookie.get("samesite"),
            cookie.get("samesite") or _("inte satt"),
        ),
        _item(
            "session_cookie_secure",
            _("Sessionskaka: Secure (bara över HTTPS)"),
            cookie.get("secure"),
            _on(bool(cookie.get("secure"))),
        ),
        _item(
            "session_lifetime_seconds",
            _("Sessionens längsta livslängd"),
            int(lifetime.total_seconds()),
            _duration(lifetime),
        ),
        _item(
            "csrf",
            _("CSRF-skydd på alla formulär"),
            bool(config.get("WTF_CSRF_ENABLED")),
            _on(bool(config.get("WTF_CSRF_ENABLED"))),
        ),
        _item(
            "login_max_failures",
            _("Misslyckade inloggningar innan kontot spärras"),
            config["LOGIN_MAX_FAILURES"],
        ),
        _item(
            "login_lockout_minutes",
            _("Spärrtid för kontot (minuter)"),
            config["LOGIN_LOCKOUT_MINUTES"],
        ),
        _item(
            "login_ip_max_failures",
            _("Misslyckade inloggningar per adress inom fönstret"),
            config.get("LOGIN_IP_MAX_FAILURES"),
        ),
        _item(
            "login_ip_window_minutes",
            _("Fönster för adressgränsen (minuter)"),
            config.get("LOGIN_IP_WINDOW_MINUTES"),
        ),
        _item(
            "password_min_length",
            _("Minsta lösenordslängd (tecken)"),
            config.get("PASSWORD_MIN_LENGTH"),
        ),
        _item("password_hashing", _("Lösenordshashning för nya lösenord"), hashing["method"]),
        _item(
            "password_hashes_stored",
            _("Lagrade lösenordshashar per metod"),
            hashing["stored"],
            ", ".join(f"{k}: {v}" for k, v in hashing["stored"].items()) or "–",
        ),
        _item(
            "hsts",
            _("HSTS (Strict-Transport-Security)"),
            hsts or None,
            hsts or _("av (skickas bara i produktion)"),
        ),
        _item(
            "csp",
            _("Content-Security-Policy"),
            headers["Content-Security-Policy"] or None,
            headers["Content-Security-Policy"] or str(NOT_CONFIGURED),
        ),
        *(
            _item(name.lower(), name, headers[name] or None, headers[name] or str(NOT_CONFIGURED))
            for name in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")
        ),
    ]


def visibility_rules(app: Flask) -> list[str]:
    """The rules that are not route-level, with the values the app runs with."""
    curator = str(Role.CURATOR.label)
    return [
        _("Ett utkast till erfarenhet syns bara för den som skrev det."),
        _(
            "Texten i en inskickad erfarenhet kan läsas av den egna organisationen och av "
            "rollen %(curator)s vid den intermediär som organisationen tillhör.",
            curator=curator,
        ),
        _(
            "Övriga organisationer i samma nätverk ser bara sammanställningar. En siffra som "
            "vilar på färre än %(size)s erfarenheter som läsaren inte får läsa visas inte "
            "(KB_MIN_GROUP_SIZE).",
            size=app.config["MIN_GROUP_SIZE"],
        ),
        _("Bara den som skrev en erfarenhet kan ändra den."),
        _(
            "Ändringsloggen: administratörer ser allt, rollen %(curator)s ser ändringar inom "
            "sitt nätverk; loggade värden för erfarenheter läsaren inte får läsa döljs.",
            curator=curator,
        ),
        _(
            "En verksamhet med skyddad adress visar aldrig adressen: inte på sidor, i sök, "
            "export eller API."
        ),
        _(
            "API:t ger samma behörigheter som webbsidorna. En nyckel som bara får läsa kan inte "
            "skriva, och en nyckel slutar gälla när den återkallas, går ut eller när kontot "
            "inaktiveras."
        ),
    ]
