"""``flask kb import all DIR`` reports the exchange module's refusals as Swedish CLI errors."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from kb.exchange.everything import export_all


def test_import_all_into_a_non_empty_database_is_a_clean_error(
    app: Flask, make, tmp_path: Path
) -> None:
    make.organisation()
    with app.app_context():
        export_all(tmp_path / "export")
    result = app.test_cli_runner().invoke(args=["kb", "import", "all", str(tmp_path / "export")])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a crash
    assert "Databasen är inte tom" in result.output
    assert "Importera bara till en tom databas." in result.output
    assert "Traceback" not in result.output


def test_import_all_wants_a_directory(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "fil.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["kb", "import", "all", str(path)])
    assert result.exit_code == 1
    assert "ska FILE vara en mapp" in result.output
