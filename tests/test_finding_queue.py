"""The curator's queue: proposed findings to decide, and evidence clusters no finding uses yet.

Uses the finding world from tests/test_findings.py. The area is "Uppföljningsområde HVB" with
the unit Solgården; the world already holds one staffing deviation from Hemby on Solgården and
one follow-up with remarks by the intermediary on Solgården.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import event, select

from kb.auth.models import User
from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.extensions import db as kb_db
from kb.findings.clusters import PRESELECT_LIMIT, cluster_evidence, evidence_clusters
from kb.findings.models import FindingStatus
from kb.followups.models import (
    Deviation,
    DeviationCategory,
    FollowUp,
    FollowUpKind,
    FollowUpResult,
    FollowUpScope,
    Severity,
)
from kb.themes import Theme
from tests.test_findings import (
    FindingWorld,
    add_finding,
    build_finding_world,
    checkboxes,
    finding_form,
    page_of,
    post,
)

QUEUE = "/lardomar/ko"


@pytest.fixture
def world(app_db, make) -> FindingWorld:
    with app_db() as session:
        return build_finding_world(session, make)


def add_experiences(
    app_db,
    author_email: str,
    unit_id: int,
    area_id: int,
    ratings: dict[Theme, int],
    count: int = 1,
    status: ExperienceStatus = ExperienceStatus.SUBMITTED,
    first_submitted: datetime = datetime(2025, 1, 1),
) -> list[int]:
    with app_db() as session:
        author = session.scalar(select(User).where(User.email == author_email))
        rows = [
            Experience(
                organisation_id=author.organisation_id,
                author_id=author.id,
                unit_id=unit_id,
                agreement_area_id=area_id,
                start_year=2024,
                start_month=1,
                status=status,
                submitted_at=first_submitted + timedelta(days=n)
                if status == ExperienceStatus.SUBMITTED
                else None,
                ratings=[ExperienceRating(theme=t, rating=r) for t, r in ratings.items()],
            )
            for n in range(count)
        ]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def add_deviations(app_db, organisation_id: int, unit_id: int, count: int, **fields) -> list[int]:
    with app_db() as session:
        rows = [
            Deviation(
                organisation_id=organisation_id,
                unit_id=unit_id,
                occurred_on=date(2025, 3, 1) + timedelta(days=n),
                category=fields.get("category", DeviationCategory.STAFFING),
                severity=Severity.MEDIUM,
                contract_id=fields.get("contract_id"),
            )
            for n in range(count)
        ]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def add_followup(app_db, organisation_id: int, result: FollowUpResult, **scope) -> int:
    with app_db() as session:
        ((column, value),) = scope.items()
        followup = FollowUp(
            organisation_id=organisation_id,
            title="Uppföljning",
            kind=FollowUpKind.CONTINUOUS,
            scope=FollowUpScope(column.removesuffix("_id")),
            period_start=date(2025, 4, 1),
            methods=["enkat_socsek"],
            result=result,
            **{column: value},
        )
        session.add(followup)
        session.commit()
        return followup.id


@pytest.fixture
def clustered(world, app_db) -> dict:
    """Exactly three clusters in the HVB area, and evidence that must not form one."""
    low = {Theme.BEMANNING: 2, Theme.SKOLA: 5}
    made = {
        "experiences": [
            *add_experiences(app_db, world.caseworker, world.unit_id, world.area_id, low, 2),
            *add_experiences(app_db, world.neighbour_caseworker, world.unit_id, world.area_id, low),
        ],
        "deviations": [
            world.home_deviation,
            *add_deviations(app_db, world.neighbour_org, world.unit_id, 2),
        ],
        "followups": [
            world.intermediary_followup,
            add_followup(
                app_db, world.home_org, FollowUpResult.SERIOUS, agreement_area_id=world.area_id
            ),
            add_followup(
                app_db, world.home_org, FollowUpResult.REMARKS, contract_id=world.contract_id
            ),
        ],
    }
    area = world.area_id
    # Not clusters: too few, rated well, unreadable, drafts, not in the network, no remarks.
    add_experiences(app_db, world.caseworker, world.unit_id, area, {Theme.LOKALER: 1}, 2)
    add_experiences(app_db, world.caseworker, world.unit_id, area, {Theme.KONTAKTPERSON: 4}, 3)
    add_experiences(app_db, world.outsider_caseworker, world.unit_id, area, {Theme.HALSA: 1}, 3)
    add_experiences(
        app_db,
        world.caseworker,
        world.unit_id,
        area,
        {Theme.SAMVERKAN: 1},
        3,
        status=ExperienceStatus.DRAFT,
    )
    add_deviations(
        app_db, world.outsider_org, world.unit_id, 3, category=DeviationCategory.PREMISES
    )
    for _ in range(3):
        add_followup(app_db, world.home_org, FollowUpResult.NO_REMARKS, unit_id=world.unit_id)
    return made


def cluster_rows(clusters) -> set[tuple]:
    return {(c.kind, c.area_id, c.key, c.count, c.municipalities, c.suppliers) for c in clusters}


def curator_user(world: FindingWorld, email: str | None = None) -> User:
    return kb_db.session.scalar(select(User).where(User.email == (email or world.curator)))


# --- Proposed findings -------------------------------------------------------------------------


def test_the_queue_lists_the_proposed_findings_oldest_first_with_counts(
    client, world, login, app_db
):
    newer = add_finding(
        app_db,
        world,
        title="Nyare förslag",
        created_at=datetime(2025, 5, 1),
        experiences=(world.home_experience, world.neighbour_experience),
    )
    add_finding(app_db, world, title="Äldre förslag", created_at=datetime(2025, 1, 1))
    add_finding(app_db, world, title="Redan accepterad", status=FindingStatus.ACCEPTED)
    add_finding(app_db, world, title="Hembys förslag", organisation=world.home_org)
    login(world.curator)
    page = page_of(client, QUEUE)
    assert "2 föreslagna lärdomar, äldst först." in page
    assert page.index("Äldre förslag") < page.index("Nyare förslag")
    assert "Redan accepterad" not in page and "Hembys förslag" not in page
    row = re.search(rf'href="/lardomar/{newer}">Nyare förslag</a></td>(.*?)</tr>', page, re.S)
    assert re.findall(r"<td>(\d+)</td>", row.group(1)) == ["2", "2"]
    assert 'href="/lardomar/ny"' in page  # the "Skapa lärdom" entry point


# --- Clusters -----------------------------------------------------------------------------------


def test_the_clusters_are_exactly_the_unused_groups_of_three_or_more(app, world, clustered, db):
    clusters = evidence_clusters(curator_user(world))
    area = world.area_id
    assert cluster_rows(clusters) == {
        ("experience", area, "bemanning", 3, 2, 1),
        ("deviation", area, "bemanning", 3, 2, 1),
        ("followup", area, None, 3, 1, 1),  # the intermediary is no municipality
    }
    by_kind = {c.kind: c for c in clusters}
    for kind, made in (
        ("experience", "experiences"),
        ("deviation", "deviations"),
        ("followup", "followups"),
    ):
        cluster = by_kind[kind]
        chosen = cluster_evidence(curator_user(world), kind, cluster.area_id, cluster.key)
        assert sorted(chosen) == sorted(clustered[made]), kind
    assert by_kind["experience"].label == "Bemanning och kontinuitet"
    assert by_kind["experience"].area_name == "Uppföljningsområde HVB"


def test_each_curator_sees_clusters_of_what_they_may_read(world, clustered, db):
    """Hemby's own curator reads only Hemby's experiences (two), so no experience cluster;
    deviations and follow-ups are read by the whole network. Fjärranby's curator sees only
    Fjärranby's own experiences and deviations, which the intermediary's curator never sees."""
    hemby = evidence_clusters(curator_user(world, world.hemby_curator))
    assert {c.kind for c in hemby} == {"deviation", "followup"}
    outsider = evidence_clusters(curator_user(world, world.outsider_curator))
    assert {(c.kind, c.key) for c in outsider} == {
        ("experience", "halsa"),
        ("deviation", "lokaler"),
    }


def test_a_cluster_disappears_once_a_finding_uses_its_evidence(
    client, world, clustered, login, app_db
):
    login(world.curator)
    page = page_of(client, QUEUE)
    assert page.count('class="cluster cluster-') == 3
    link = unescape(
        re.search(r'<tr class="cluster cluster-experience">.*?href="([^"]+)"', page, re.S).group(1)
    )
    assert link.startswith("/lardomar/ny?") and f"omrade={world.area_id}" in link
    assert f"kluster=experience:{world.area_id}:bemanning" in link and "tema=bemanning" in link
    form_page = page_of(client, link)
    assert checkboxes(form_page, "erfarenhet") == {str(i): True for i in clustered["experiences"]}
    assert '<option selected value="bemanning">' in form_page
    data = finding_form(world, erfarenhet=[str(i) for i in clustered["experiences"]], avvikelse=[])
    assert post(client, data, link).status_code == 302
    page = page_of(client, QUEUE)
    assert 'class="cluster cluster-experience"' not in page
    assert page.count('class="cluster cluster-') == 2
    assert "Nattbemanningen räcker inte" in page  # now a proposed finding in the queue


def test_evidence_used_by_any_finding_leaves_its_cluster(app_db, world, clustered, db):
    """One deviation used by a rejected finding: two left, below the threshold."""
    add_finding(
        app_db,
        world,
        status=FindingStatus.REJECTED,
        rejection_reason="Nej.",
        deviations=(clustered["deviations"][0],),
    )
    kinds = {c.kind for c in evidence_clusters(curator_user(world))}
    assert kinds == {"experience", "followup"}


def test_the_threshold_is_configurable(app, world, clustered, db):
    app.config["FINDING_CLUSTER_MIN_SIZE"] = 4
    assert evidence_clusters(curator_user(world)) == []
    app.config["FINDING_CLUSTER_MIN_SIZE"] = 2
    keys = {(c.kind, c.key) for c in evidence_clusters(curator_user(world))}
    assert ("experience", "lokaler") in keys


def test_the_preselection_is_capped_at_the_newest(client, world, login, app_db):
    ids = add_experiences(
        app_db,
        world.caseworker,
        world.unit_id,
        world.area_id,
        {Theme.HALSA: 1},
        PRESELECT_LIMIT + 2,
    )
    login(world.curator)
    page = page_of(client, QUEUE)
    assert f"<td>{PRESELECT_LIMIT + 2}</td>" in page
    assert f"(de {PRESELECT_LIMIT} senaste väljs)" in page
    link = unescape(re.search(r'href="(/lardomar/ny\?[^"]+)"', page).group(1))
    chosen = checkboxes(page_of(client, link), "erfarenhet")
    newest = ids[-PRESELECT_LIMIT:]  # submitted one day apart
    assert chosen == {str(i): True for i in newest}


def test_a_cluster_that_does_not_exist_is_said_so(client, world, login):
    login(world.curator)
    for reference in ("experience:1:okant", "x:1", "deviation:abc:lokaler", "followup:1:extra"):
        page = page_of(client, f"/lardomar/ny?kluster={reference}")
        assert "Klustret finns inte." in page, reference
    page = page_of(client, f"/lardomar/ny?kluster=followup:{world.other_area_id}")
    assert "Klustret finns inte." not in page and "Inget underlag är valt" in page


def test_the_cluster_queries_do_not_grow_with_the_data(app, world, app_db, db):
    def statements_for_clusters() -> int:
        kb_db.session.expire_all()
        curator = curator_user(world)
        curator.organisation.members  # noqa: B018 - loaded before counting
        executed = []

        def count(*args) -> None:
            executed.append(args[2])

        event.listen(kb_db.engine, "before_cursor_execute", count)
        try:
            evidence_clusters(curator)
        finally:
            event.remove(kb_db.engine, "before_cursor_execute", count)
        return len(executed)

    low = {Theme.BEMANNING: 1, Theme.LOKALER: 2}
    add_experiences(app_db, world.caseworker, world.unit_id, world.area_id, low, 3)
    add_deviations(app_db, world.neighbour_org, world.unit_id, 3)
    few = statements_for_clusters()
    add_experiences(app_db, world.neighbour_caseworker, world.unit_id, world.area_id, low, 30)
    add_deviations(app_db, world.home_org, world.unit_id, 30, category=DeviationCategory.INCIDENT)
    assert statements_for_clusters() == few
    assert len(evidence_clusters(curator_user(world))) == 4


def test_only_curators_see_the_queue(client, world, login):
    login(world.coordinator)
    assert client.get(QUEUE).status_code == 403
