"""The upload page: access, template download, background job with progress, batches, undo;
and the CLI."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from kb.auth.models import Role
from kb.imports.models import ImportBatch
from kb.suppliers.models import Supplier
from tests.conftest import csrf_token_from
from tests.factories import fictional_org_number

ORG = fictional_org_number(9301)
CSV = f"organisationsnummer;namn;bolagsform\r\n{ORG};Webbgården AB;ab\r\n".encode()


def _upload(client, data: bytes = CSV, name: str = "lev.csv", dry_run: bool = False):
    token = csrf_token_from(client.get("/import/").get_data(as_text=True))
    form = {"csrf_token": token, "kind": "suppliers", "file": (io.BytesIO(data), name)}
    form["organisation"] = _first_organisation(client)
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/import/", data=form, content_type="multipart/form-data")


def _first_organisation(client) -> str:
    html = client.get("/import/").get_data(as_text=True)
    return html.split('id="organisation"', 1)[1].split('value="', 1)[1].split('"', 1)[0]


def _wait(client, location: str) -> dict:
    status_url = location + ".json"
    for _ in range(200):
        record = client.get(status_url).get_json()
        if record["state"] != "running":
            return record
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.PROCURER])
def test_others_are_refused(client, make, login, role) -> None:
    login(make.email_of(make.user(role)))
    assert client.get("/import/").status_code == 403
    assert client.get("/import/mall/suppliers.csv").status_code == 403
    assert client.get("/import/1").status_code == 403


def test_curator_uploads_sees_progress_and_result(client, make, login, app_db) -> None:
    login(make.email_of(make.user(Role.CURATOR)))
    page = client.get("/import/").get_data(as_text=True)
    assert "organisationsnummer" in page and "/import/mall/experiences.csv" in page
    assert "<script" not in page
    response = _upload(client)
    assert response.status_code == 302
    record = _wait(client, response.location)
    assert record["state"] == "done" and record["result"]["created"] == 1
    result_page = client.get(response.location).get_data(as_text=True)
    assert "1 rader importerade" in result_page
    with app_db() as session:
        batch_id = session.scalar(select(ImportBatch.id))
        assert session.scalar(select(Supplier.name)) == "Webbgården AB"
    detail = client.get(f"/import/{batch_id}")
    assert detail.status_code == 200 and "Webbgården AB" in detail.get_data(as_text=True)
    assert "Ångra importen" not in detail.get_data(as_text=True)  # admins only
    assert client.post(f"/import/{batch_id}/angra").status_code in (400, 403)


def test_progress_page_while_running_polls_with_script_and_refreshes_without(
    client, make, login, app
) -> None:
    from kb.imports import jobs

    curator = make.user(Role.CURATOR)
    login(make.email_of(curator))
    token = "t" * 24
    record = {"state": "running", "stage": "write", "done": 10, "total": 40, "user_id": curator}
    jobs.write_record(token, record, app)
    html = client.get(f"/import/jobb/{token}").get_data(as_text=True)
    assert 'value="10"' in html and 'max="40"' in html and "Sparar: 10 / 40" in html
    assert "import_progress.js" in html and '<meta http-equiv="refresh"' in html
    assert client.get(f"/import/jobb/{token}.json").get_json()["done"] == 10
    record["user_id"] = curator + 1000  # someone else's job is not shown
    jobs.write_record(token, record, app)
    assert client.get(f"/import/jobb/{token}").status_code == 404
    assert client.get("/import/jobb/..%2F..%2Fsecret_key").status_code == 404


def test_dry_run_and_problems_on_the_page(client, make, login, app_db) -> None:
    login(make.email_of(make.user(Role.ADMIN)))
    record = _wait(client, _upload(client, dry_run=True).location)
    assert record["result"]["dry_run"] and record["result"]["batch_id"] is None
    bad = CSV.replace(ORG.encode(), b"556677-8890")
    response = _upload(client, bad)
    _wait(client, response.location)
    html = client.get(response.location).get_data(as_text=True)
    assert "fel kontrollsiffra" in html and "ingenting har sparats" in html
    with app_db() as session:
        assert session.scalar(select(Supplier)) is None


def test_oversized_upload_refused_without_reading(client, make, login, app) -> None:
    login(make.email_of(make.user(Role.CURATOR)))
    app.config["IMPORT_MAX_BYTES"] = 10
    response = client.post(  # the body is never parsed: Content-Length alone refuses it
        "/import/",
        data=b"never read",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(100 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert "för stor" in response.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = len(CSV) - 1  # under the slack: refused while copying
    response = _upload(client, CSV)
    assert response.status_code == 413 and "för stor" in response.get_data(as_text=True)


def test_template_download(client, make, login) -> None:
    login(make.email_of(make.user(Role.CURATOR)))
    response = client.get("/import/mall/units.csv")
    text = response.data.decode("utf-8-sig")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert text.startswith("leverantor_organisationsnummer;namn;alder_min")
    assert client.get("/import/mall/unknown.csv").status_code == 404


def test_admin_undoes_a_batch(client, make, login, app_db) -> None:
    login(make.email_of(make.user(Role.ADMIN)))
    _wait(client, _upload(client).location)
    with app_db() as session:
        batch_id = session.scalar(select(ImportBatch.id))
    page = client.get(f"/import/{batch_id}").get_data(as_text=True)
    response = client.post(f"/import/{batch_id}/angra", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    with app_db() as session:
        assert session.scalar(select(Supplier)) is None
        assert session.get(ImportBatch, batch_id).status == "undone"


def test_menu_entry_for_curators_only(client, make, login) -> None:
    login(make.email_of(make.user(Role.CURATOR)))
    assert 'href="/import/"' in client.get("/").get_data(as_text=True)


def test_cli_import_dry_run_and_problems(app, app_db, make, tmp_path: Path) -> None:
    user = make.user(Role.CURATOR)
    email = make.email_of(user)
    path = tmp_path / "lev.csv"
    path.write_bytes(CSV)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["kb", "import", "suppliers", str(path), "--dry-run", "--as", email]
    )
    assert result.exit_code == 0, result.output
    assert "provkörning" in result.output
    result = runner.invoke(args=["kb", "import", "suppliers", str(path), "--as", email])
    assert result.exit_code == 0 and "1 nya" in result.output, result.output
    with app_db() as session:
        batch = session.scalar(select(ImportBatch))
        assert batch.created_by_id == user and batch.organisation_id is not None
    path.write_bytes(CSV.replace(b"namn", b"farg"))
    result = runner.invoke(args=["kb", "import", "tender-rounds", str(path)])
    assert result.exit_code == 1 and "Okänd kolumn" in result.output


def test_cli_experiences_need_an_organisation(app, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("extern_id;leverantor_organisationsnummer;verksamhet;avtalsomrade\nx;;;\n")
    result = app.test_cli_runner().invoke(args=["kb", "import", "experiences", str(path)])
    assert result.exit_code == 1 and "Ange vilken organisation" in result.output
