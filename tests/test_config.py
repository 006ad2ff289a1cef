from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import config
from kb import create_app


@pytest.fixture
def fresh_config(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "SECRET_KEY", "SEARCH_BACKEND", "KB_ENV", "KB_SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KB_INSTANCE_PATH", str(tmp_path / "instans"))
    module = importlib.reload(config)
    yield module
    monkeypatch.undo()
    importlib.reload(config)


def test_defaults_put_sqlite_whoosh_and_secret_in_the_instance_folder(fresh_config, tmp_path):
    folder = tmp_path / "instans"
    app = create_app(fresh_config.Config)
    assert Path(app.instance_path) == folder
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{folder / 'kunskapsbanken.sqlite'}"
    assert app.config["SEARCH_BACKEND"] == "whoosh"
    assert app.config["WHOOSH_INDEX_PATH"] == str(folder / "whoosh-index")
    key_file = folder / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) >= 64
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert create_app(fresh_config.Config).config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("KB_INSTANCE_PATH", str(tmp_path / "annan"))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://kb@127.0.0.1/kb")
    monkeypatch.setenv("SECRET_KEY", "från-miljön")
    monkeypatch.setenv("SEARCH_BACKEND", "postgres")
    monkeypatch.setenv("KB_ENV", "production")
    module = importlib.reload(config)
    try:
        app = create_app(module.Config)
        assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://kb@127.0.0.1/kb"
        assert app.config["SECRET_KEY"] == "från-miljön"
        assert app.config["SEARCH_BACKEND"] == "postgres"
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert not (tmp_path / "annan" / "secret_key").exists()
    finally:
        monkeypatch.undo()
        importlib.reload(config)
