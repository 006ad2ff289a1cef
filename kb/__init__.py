"""Kunskapsbanken: an organisational memory for procuring residential care."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request

from config import BASE_DIR, Config, load_or_create_secret_key
from kb.extensions import babel, csrf, db, login_manager, migrate
from kb.main.converters import BoundedIntConverter


def select_locale() -> str:
    """Swedish unless the browser prefers a language we have a catalogue for."""
    if not has_request_context():
        return "sv"
    available = [str(locale) for locale in babel.list_translations()]
    return request.accept_languages.best_match(available) or "sv"


def create_app(
    config_class: type[Config] = Config, overrides: dict[str, Any] | None = None
) -> Flask:
    overrides = overrides or {}
    instance = Path(overrides.get("INSTANCE_PATH", config_class.INSTANCE_PATH))
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(instance))
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    app.config.from_object(config_class)
    app.config.update(overrides)
    app.config["INSTANCE_PATH"] = instance
    if not app.config.get("WHOOSH_INDEX_PATH"):
        app.config["WHOOSH_INDEX_PATH"] = str(instance / "whoosh-index")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(instance)

    _init_extensions(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: Flask) -> None:
    import kb.models  # noqa: F401  (complete the metadata before anything uses it)
    from kb.audit import recorder
    from kb.search import sync

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(BASE_DIR / "kb" / "translations"),
    )
    recorder.install()
    sync.install()


def _register_blueprints(app: Flask) -> None:
    from kb.admin.routes import bp as admin_bp
    from kb.api.profile import bp as profile_bp
    from kb.api.routes import bp as api_bp
    from kb.audit.routes import bp as audit_bp
    from kb.auth import access
    from kb.auth.routes import bp as auth_bp
    from kb.catalogue.routes import bp as catalogue_bp
    from kb.checks.routes import bp as checks_bp
    from kb.cli import kb_cli
    from kb.deviations.routes import bp as deviations_bp
    from kb.experiences.routes import bp as experiences_bp
    from kb.findings.routes import bp as findings_bp
    from kb.followups.routes import bp as followups_bp
    from kb.imports.routes import bp as imports_bp
    from kb.insight.routes import bp as insight_bp
    from kb.main import navigation, security, template_helpers
    from kb.main.errors import register_error_handlers
    from kb.main.routes import bp as main_bp
    from kb.ops import request_log
    from kb.ops.health import bp as ops_bp
    from kb.requirements.routes import bp as requirements_bp
    from kb.retention.routes import bp as retention_bp
    from kb.search.routes import bp as search_bp
    from kb.suppliers.routes import bp as suppliers_bp
    from kb.tender_drafts.routes import bp as drafts_bp
    from kb.tenders.routes import bp as contracts_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(suppliers_bp)
    app.register_blueprint(experiences_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(followups_bp)
    app.register_blueprint(deviations_bp)
    app.register_blueprint(checks_bp)
    app.register_blueprint(contracts_bp)
    app.register_blueprint(findings_bp)
    app.register_blueprint(requirements_bp)
    app.register_blueprint(drafts_bp)
    app.register_blueprint(insight_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(retention_bp)
    app.cli.add_command(kb_cli)
    request_log.init_app(app)  # first, so that a refused request is logged too
    access.init_app(app)
    navigation.init_app(app)
    template_helpers.init_app(app)
    register_error_handlers(app)
    security.init_app(app)
