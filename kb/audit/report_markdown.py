"""Print the auditor's report (kb.audit.report) as Swedish Markdown."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

YES, NO = "✓", "–"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _matrix(report: dict[str, Any]) -> list[str]:
    section = report["matrix"]
    roles = section["roles"]
    lines = [
        "## " + _("Roller och rättigheter"),
        "",
        _(
            "Tabellen är härledd ur applikationens egna vägar (%(routes)s stycken): varje väg "
            "med de roller dess vy kräver, grupperad efter rättighet. ✓ betyder att rollen "
            "får använda alla vägar på raden; vad den då ser begränsas av reglerna under "
            "tabellen.",
            routes=section["route_count"],
        ),
        "",
    ]
    head = [_("Rättighet"), _("Kräver")] + [role["label"] for role in roles]
    rows = [
        [row["right"], row["gate_label"]]
        + [YES if row["roles"][role["code"]] else NO for role in roles]
        for row in section["rows"]
    ]
    lines += _table(head, rows)
    lines += ["", "### " + _("Regler för vilka uppgifter som syns"), ""]
    lines += [f"- {rule}" for rule in report["visibility_rules"]]
    return lines


def _settings(report: dict[str, Any]) -> list[str]:
    rows = [[item["label"], item["shown"]] for item in report["settings"]]
    database, search, retention = report["database"], report["search"], report["retention"]
    rows.append([_("Databas"), f"{database['kind']} ({database['url']})"])
    rows.append([_("Sökmotor"), f"{search['backend']} ({_('indexering')}: {search['sync']})"])
    if retention["valid"]:
        rule = retention["description"]
        if retention["cutoff"]:
            rule += " " + _(
                "Gränsdatum %(day)s; %(due)s erfarenheter väntar på gallring, %(done)s är "
                "gallrade.",
                day=retention["cutoff"],
                due=retention["due"],
                done=retention["already_handled"],
            )
    else:
        rule = retention["error"]
    rows.append([_("Gallringsregel"), rule])
    return ["## " + _("Säkerhetsinställningar"), "", *_table([_("Inställning"), _("Värde")], rows)]


def _check_line(name: str, check: dict[str, Any] | None, details: str) -> str:
    if check is None:
        return f"- {name}: " + _("ingen kontroll registrerad. Kör: flask kb search check")
    verdict = _("utan anmärkning") if check["ok"] else _("AVVIKELSE")
    return f"- {name}: {check['ran_at']} – {verdict}. {details}"


def _index_details(check: dict[str, Any] | None) -> str:
    if check is None:
        return ""
    if check.get("error"):
        return _("Indexet kunde inte läsas: %(error)s", error=check["error"])
    return _(
        "Databasen %(database)s dokument, indexet %(index)s; saknas %(missing)s, "
        "överflödiga %(extra)s, väntar på omindexering %(stale)s.",
        database=check.get("database"),
        index=check.get("index"),
        missing=check.get("missing"),
        extra=check.get("extra"),
        stale=check.get("stale"),
    )


def _outbox_details(check: dict[str, Any] | None) -> str:
    if check is None:
        return ""
    age = check.get("oldest_age_seconds")
    text = _(
        "%(pending)s väntande, äldsta %(age)s, %(failed)s med misslyckade försök.",
        pending=check.get("pending"),
        age="–" if age is None else _("%(seconds)s s", seconds=age),
        failed=check.get("failed"),
    )
    if check.get("last_error"):
        text += " " + _("Senaste fel: %(error)s", error=check["last_error"])
    return text


def _checks(report: dict[str, Any]) -> list[str]:
    checks = report["checks"]
    now = checks["outbox_now"]
    return [
        "## " + _("Senaste kontroller av sökindex och sökkö"),
        "",
        _check_line(
            _("Sökindexet mot databasen"),
            checks["last_index_check"],
            _index_details(checks["last_index_check"]),
        ),
        _check_line(
            _("Sökkön"), checks["last_outbox_check"], _outbox_details(checks["last_outbox_check"])
        ),
        "- "
        + _("Sökkön just nu")
        + ": "
        + (_("utan anmärkning") if now["ok"] else _("AVVIKELSE"))
        + ". "
        + _outbox_details(now),
    ]


def _users(report: dict[str, Any]) -> list[str]:
    labels = {role["code"]: role["label"] for role in report["matrix"]["roles"]}
    rows = [
        [
            entry["organisation"],
            labels.get(entry["role"], _("ingen roll")),
            entry["active"],
            entry["inactive"],
        ]
        for entry in report["users"]
    ]
    return [
        "## " + _("Konton per organisation och roll"),
        "",
        _("Antal konton, utan namn eller e-postadresser. Ett konto kan ha flera roller."),
        "",
        *_table([_("Organisation"), _("Roll"), _("Aktiva"), _("Inaktiverade")], rows),
    ]


def render_markdown_report(report: dict[str, Any]) -> str:
    lines = [
        "# " + _("Kunskapsbanken: rapport för dataskyddsombud och revisor"),
        "",
        _(
            "Skapad %(when)s (UTC). Miljö: %(environment)s.",
            when=report["generated_at"],
            environment=report["environment"],
        ),
        "",
        *_matrix(report),
        "",
        *_settings(report),
        "",
        *_checks(report),
        "",
        *_users(report),
    ]
    return "\n".join(lines) + "\n"
