"""Every form post and API write against every viewer: the permitted change something, the
rest get the status the rules say and change nothing at all (every table compared).

Each viewer gets a world of their own, since permitted writes change it. The table of writes
is tests/access_forms.py; tests/test_access_matrix.py checks it covers every route.
"""

from __future__ import annotations

import io
import time

import pytest
from flask.testing import FlaskClient

from kb.audit.context import Actor, acting_as
from kb.auth.models import Role
from kb.experiences.models import Experience
from kb.organisations.models import Organisation
from tests.access_forms import API_WRITES, FORM_POSTS, SUPPLIERS_CSV, Write
from tests.access_world import (
    ANONYMOUS,
    EVERY_VIEWER,
    STANDALONE,
    Viewer,
    World,
    build_world,
    differences,
    each,
    signed_in,
    table_contents,
)
from tests.conftest import csrf_token_from


@pytest.fixture
def world(app_db) -> World:
    with app_db() as session:
        return build_world(session)


def params_for(world: World, viewer: Viewer) -> dict:
    if viewer == ANONYMOUS:
        own = {"own_token": world.params["missing"], "own_org": world.params["owner_org"]}
    else:
        own = {
            "own_token": world.params[f"token_{viewer.key}"],
            "own_org": world.params[f"{viewer.org}_org"],
        }
    return {**world.params, **own}


def send(client: FlaskClient, write: Write, params: dict, token: str, headers: dict):
    url = write.path.format(**params)
    data = write.data(params)
    if write.api:
        return client.open(url, method=write.method, json=data, headers=headers)
    data["csrf_token"] = token
    if write.upload:
        data["file"] = (io.BytesIO(SUPPLIERS_CSV.encode()), "leverantorer.csv")
        response = client.post(url, data=data, content_type="multipart/form-data")
        location = response.headers.get("Location", "")
        if response.status_code == 302 and "/import/jobb/" in location:
            wait_for_import(client, location)
        return response
    return client.open(url, method=write.method, data=data)


def wait_for_import(client: FlaskClient, location: str) -> None:
    """An upload runs in a thread: wait until it has finished writing."""
    for _ in range(400):
        if client.get(location + ".json").get_json()["state"] != "running":
            return
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def expectation(write: Write, viewer: Viewer) -> tuple[int, bool]:
    """The status the viewer gets, and whether the database changes."""
    if viewer == ANONYMOUS:
        return write.anonymous, False
    if write.allowed(viewer):
        return write.success, write.changes
    return write.refused(viewer), False


@pytest.mark.parametrize("viewer", each(EVERY_VIEWER))
def test_only_permitted_viewers_change_anything(app, world, app_db, viewer):
    client = signed_in(app, viewer)
    token = csrf_token_from(client.get("/logga-in" if viewer == ANONYMOUS else "/").text)
    params, headers = params_for(world, viewer), world.headers(viewer)
    wrong = []
    with app_db() as session:
        after = table_contents(session)
    for write in (*API_WRITES, *FORM_POSTS):
        before = after
        response = send(client, write, params, token, headers)
        with app_db() as session:
            after = table_contents(session)
        changed = differences(before, after)
        status, changes = expectation(write, viewer)
        if response.status_code != status or bool(changed) != changes:
            url = write.path.format(**params)
            wrong.append(f"{write.method} {url}: got {response.status_code}, changed {changed}")
    assert wrong == [], f"{viewer.key} (expected per tests/access_forms.py):\n" + "\n".join(wrong)


# --- The change log -----------------------------------------------------------------------


@pytest.mark.parametrize("viewer", each((Viewer("neighbour", Role.CURATOR), STANDALONE[1])))
def test_change_log_hides_the_text_of_an_imported_experience_from_other_curators(
    app, world, app_db, viewer
):
    """Experiences written outside a request (import, demo data) have no acting organisation."""
    with app_db() as session, acting_as(Actor(None, "import", None)):
        owner = session.get(Organisation, world.params["owner_org"])
        session.add(
            Experience(organisation=owner, worked_md="IMPORTTEXT", worked_html="<p>IMPORTTEXT</p>")
        )
        session.commit()
    response = signed_in(app, viewer).get("/logg/?entity=Experience")
    assert response.status_code == 200
    assert "IMPORTTEXT" not in response.get_data(as_text=True)
