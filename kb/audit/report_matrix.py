"""The matrix of roles against rights, derived from the running app, not written by hand.

Every rule in ``app.url_map`` is classified by what lets a request through:
- public: kb.auth.access.PUBLIC_ENDPOINTS and kb.api.auth.PUBLIC_ENDPOINTS;
- an API token under /api/v1 (kb.api.auth.require_token), with the write scope for
  kb.api.auth.WRITE_METHODS;
- otherwise a signed-in session (kb.auth.access._require_sign_in);
and by the roles its view accepts: the view's ``required_roles`` (set by
kb.auth.access.require_role), or every role. Routes are then grouped into readable rights by
endpoint pattern; a route no pattern names is listed under its own endpoint, so a new route
always shows. A right whose routes differ in gate or roles is split into one row per
combination, so every ✓ holds for every route in its row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fnmatch import fnmatchcase

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kb.api.auth import PUBLIC_ENDPOINTS as API_PUBLIC_ENDPOINTS
from kb.api.auth import WRITE_METHODS
from kb.api.errors import API_PREFIX
from kb.auth.access import PUBLIC_ENDPOINTS
from kb.auth.models import Role

IGNORED_METHODS = {"HEAD", "OPTIONS"}
PUBLIC, SIGNED_IN, TOKEN_READ, TOKEN_WRITE = "public", "signed_in", "token_read", "token_write"
GATE_LABELS = {
    PUBLIC: _l("Öppet, utan inloggning"),
    SIGNED_IN: _l("Inloggad"),
    TOKEN_READ: _l("API-nyckel (läsa)"),
    TOKEN_WRITE: _l("API-nyckel som får skriva"),
}

# (label, endpoint patterns, writes: True = only routes that take POST/PUT/PATCH/DELETE,
# False = only routes that don't, None = both). The first match wins.
RIGHTS = [
    (
        _l("Logga in, statiska filer och API-beskrivningen"),
        ("auth.login", "static", "api.openapi_document"),
        None,
    ),
    (_l("Hälsokontroller för lastbalanserare (/healthz, /readyz)"), ("ops.*",), None),
    (_l("Startsida och utloggning"), ("main.*", "auth.logout"), None),
    (_l("Egen profil, eget lösenord och personliga API-nycklar"), ("profile.*", "auth.*"), None),
    (
        _l("Registrera erfarenhet, se egna erfarenheter och utkast"),
        ("experiences.edit", "experiences.mine", "experiences.contract_options"),
        None,
    ),
    (_l("Öppna en erfarenhet (texten enligt synlighetsreglerna)"), ("experiences.*",), False),
    (_l("Söka"), ("search.*",), None),
    (
        _l("Läsa leverantörer, verksamheter, avtalsområden, upphandlingar och avtal"),
        ("catalogue.*", "suppliers.*", "contracts.*"),
        False,
    ),
    (_l("Ändra avtalsstatus (pausa, säga upp, häva, avsluta)"), ("contracts.*",), True),
    (_l("Läsa lärandeöversikten"), ("insight.learning*",), None),
    (_l("Exportera tabeller (CSV)"), ("insight.*_csv",), None),
    (_l("Läsa diagram och nyckeltal"), ("insight.*",), None),
    (
        _l("Läsa uppföljningar, avvikelser och kontroller"),
        ("followups.*", "deviations.*", "checks.*"),
        False,
    ),
    (
        _l("Registrera uppföljningar, avvikelser och kontroller"),
        ("followups.*", "deviations.*", "checks.*"),
        True,
    ),
    (_l("Läsa lärdomar"), ("findings.index", "findings.detail"), False),
    (_l("Hantera lärdomar (skapa, ändra, besluta, ersätta, kö)"), ("findings.*",), None),
    (_l("Läsa kravbiblioteket"), ("requirements.*",), False),
    (_l("Ändra kravbiblioteket"), ("requirements.*",), True),
    (_l("Exportera förfrågningsunderlag (Word, Markdown)"), ("drafts.export_*",), None),
    (_l("Läsa förfrågningsunderlag"), ("drafts.*",), False),
    (_l("Bygga och fastställa förfrågningsunderlag"), ("drafts.*",), True),
    (_l("Ångra en import"), ("imports.undo",), None),
    (_l("Importera"), ("imports.*",), None),
    (_l("Läsa ändringsloggen"), ("audit.*",), None),
    (_l("Se gallringsregeln"), ("retention.*",), None),
    (_l("Administrera organisationer och användare"), ("admin.*",), None),
    (_l("API: registrera och ändra erfarenheter"), ("api.*",), True),
    (_l("API: läsa"), ("api.*",), False),
]


@dataclass(frozen=True)
class RouteAccess:
    endpoint: str
    rule: str
    methods: tuple[str, ...]
    gate: str
    roles: frozenset[Role]

    @property
    def writes(self) -> bool:
        return bool(set(self.methods) & WRITE_METHODS)

    @property
    def label(self) -> str:
        return f"{' '.join(self.methods)} {self.rule}"


@dataclass(frozen=True)
class MatrixRow:
    right: str
    gate: str
    roles: frozenset[Role]
    routes: tuple[RouteAccess, ...]

    def allows(self, role: Role) -> bool:
        return role in self.roles


def _gate(endpoint: str, rule: str, methods: set[str]) -> str:
    if endpoint in PUBLIC_ENDPOINTS or endpoint in API_PUBLIC_ENDPOINTS:
        return PUBLIC
    if rule == API_PREFIX or rule.startswith(API_PREFIX + "/"):
        return TOKEN_WRITE if methods & WRITE_METHODS else TOKEN_READ
    return SIGNED_IN


def route_access(app: Flask) -> list[RouteAccess]:
    """Every route of the app with its gate and the roles its view accepts."""
    routes = []
    for rule in app.url_map.iter_rules():
        methods = set(rule.methods or ()) - IGNORED_METHODS
        view = app.view_functions[rule.endpoint]
        required = getattr(view, "required_roles", None)
        roles = frozenset(required) if required else frozenset(Role)
        gate = _gate(rule.endpoint, rule.rule, methods)
        routes.append(RouteAccess(rule.endpoint, rule.rule, tuple(sorted(methods)), gate, roles))
    return sorted(routes, key=lambda r: (r.rule, r.methods))


def right_of(route: RouteAccess) -> str:
    for label, patterns, writes in RIGHTS:
        if writes is not None and writes != route.writes:
            continue
        if any(fnmatchcase(route.endpoint, pattern) for pattern in patterns):
            return str(label)
    return _("Ej grupperad: %(endpoint)s", endpoint=route.endpoint)


def matrix(app: Flask) -> list[MatrixRow]:
    """One row per right (split where its routes differ in gate or roles), in RIGHTS order."""
    grouped: dict[tuple[str, str, frozenset[Role]], list[RouteAccess]] = defaultdict(list)
    for route in route_access(app):
        grouped[(right_of(route), route.gate, route.roles)].append(route)
    by_right: dict[str, list[tuple[str, frozenset[Role]]]] = defaultdict(list)
    for right, gate, roles in grouped:
        by_right[right].append((gate, roles))
    order = {str(label): index for index, (label, _p, _w) in enumerate(RIGHTS)}
    rows = []
    for (right, gate, roles), routes in grouped.items():
        name = right
        if len(by_right[right]) > 1:
            name = f"{right} – {', '.join(route.label for route in routes)}"
        rows.append((order.get(right, len(order)), MatrixRow(name, gate, roles, tuple(routes))))
    return [row for _index, row in sorted(rows, key=lambda pair: (pair[0], pair[1].right))]
