"""The city's geography from open data: a GeoJSON file read, checked, planned and
imported (command line and coordinator pages), places edited by hand and retired, and the
dashboard's maps drawn from the stored shapes."""

import copy
import io
import json
import re
import uuid
from datetime import UTC, datetime

import pytest

from rumours import charts
from rumours.extensions import db
from rumours.models import AuditEntry, District, Encounter, Neighbourhood, Role
from rumours.rules.geojson import GeographyError, Options, read_places
from rumours.services.geography import import_file, plan_import, set_retired

from .helpers import csrf_from, login, small_city

DISTRICTS = Options("district", "nazwa", "kod")
NEIGHBOURHOODS = Options("neighbourhood", "nazwa", "kod", "dzielnica")


def text(collection) -> str:
    return json.dumps(collection)


def import_city(app) -> None:
    with app.app_context():
        import_file(text(small_city()), DISTRICTS)
        import_file(text(small_city("neighbourhood")), NEIGHBOURHOODS)
        db.session.commit()


def problems_of(data, options=DISTRICTS, **kwargs) -> str:
    with pytest.raises(GeographyError) as caught:
        read_places(data, options, **kwargs)
    return "\n".join(caught.value.problems)


# --- Reading the file (no database) ----------------------------------------------------


def broken(change) -> str:
    collection = small_city()
    change(collection)
    return text(collection)


@pytest.mark.parametrize(
    "data,expected",
    [
        ("not json {", "The file is not JSON (line 1"),
        (json.dumps({"type": "Feature"}), "not a GeoJSON FeatureCollection"),
        (json.dumps({"type": "FeatureCollection", "features": []}), "has no features"),
        (
            broken(lambda c: c["features"][1]["properties"].pop("nazwa")),
            "Feature 2 (no name): the name property “nazwa” is missing or empty (its "
            "properties: kod)",
        ),
        (
            broken(lambda c: c["features"][1].update(
                geometry={"type": "LineString", "coordinates": [[21, 52], [21.1, 52]]})),
            "Feature 2 (Wola): its geometry is a LineString, not a Polygon or MultiPolygon.",
        ),
        (
            broken(lambda c: c["features"][0]["geometry"]["coordinates"][0][2].__setitem__(
                0, 500123.4)),
            "Feature 1 (Śródmieście): its coordinates (500123.4, 52.2) are not "
            "longitude/latitude",
        ),
        (
            broken(lambda c: c["features"][2]["properties"].update(kod="S")),
            "Feature 3 (Praga-Północ): its code “S” is also the code of feature 1 "
            "(Śródmieście)",
        ),
        (
            broken(lambda c: c.update(crs={"type": "name", "properties": {
                "name": "urn:ogc:def:crs:EPSG::25831"}})),
            "coordinate system urn:ogc:def:crs:EPSG::25831",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_the_feature_and_the_problem(data, expected, app):
    with app.app_context():
        assert expected in problems_of(data)


def test_a_file_not_in_utf8_is_refused(app):
    with app.app_context():
        assert "not text in UTF-8" in problems_of(text(small_city()).encode("utf-16"))


def test_a_file_too_big_is_refused_before_reading(app):
    with app.app_context():
        assert "too big" in problems_of(text(small_city()), max_bytes=1000)


def test_without_a_code_property_the_code_is_the_feature_id_or_the_name(app):
    collection = small_city()
    with app.app_context():
        by_name = read_places(text(collection), Options("district", "nazwa"))
        assert [p.code for p in by_name] == ["srodmiescie", "wola", "praga-połnoc"]
        for i, feature in enumerate(collection["features"]):
            feature["id"] = 146500 + i
        assert [p.code for p in read_places(text(collection), Options("district", "nazwa"))] == [
            "146500", "146501", "146502"
        ]


# --- Importing (both databases) --------------------------------------------------------


def test_import_makes_slugs_from_names_in_any_script_and_keeps_the_file_order(app):
    import_city(app)
    with app.app_context():
        districts = db.session.scalars(db.select(District).order_by(District.position)).all()
        assert [(d.code, d.slug, d.name) for d in districts] == [
            ("S", "srodmiescie", "Śródmieście"),
            ("W", "wola", "Wola"),
            ("P", "praga-połnoc", "Praga-Północ"),
        ]
        assert json.loads(districts[2].geometry)["type"] == "MultiPolygon"
        hoods = {n.slug: n.district.code for n in db.session.scalars(db.select(Neighbourhood))}
        assert hoods == {"stare-miasto": "S", "nowe-miasto": "S", "mirow": "W", "nowa-praga": "P"}
        entries = db.session.scalars(db.select(AuditEntry.action)).all()
        assert entries == ["geography.import", "geography.import"]


def test_a_neighbourhood_whose_district_does_not_exist_imports_nothing(app):
    collection = small_city("neighbourhood")
    collection["features"][3]["properties"]["dzielnica"] = "X"
    with app.app_context():
        import_file(text(small_city()), DISTRICTS)
        db.session.commit()
        with pytest.raises(GeographyError, match=r"Feature 4 \(Nowa Praga\): no district has"):
            import_file(text(collection), NEIGHBOURHOODS)
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(Neighbourhood.id))) == 0


def test_reimport_updates_by_code_adds_the_new_and_retires_the_missing(app, create_user):
    import_city(app)
    agent = create_user(Role.AGENT)
    with app.app_context():
        wola = db.session.execute(db.select(District).filter_by(code="W")).scalar_one()
        mirow = db.session.execute(db.select(Neighbourhood).filter_by(code="W1")).scalar_one()
        now = datetime.now(UTC)
        db.session.add(Encounter(
            client_uuid=uuid.uuid4(), agent_id=agent.id, district_id=wola.id,
            neighbourhood_id=mirow.id, occurred_at=now, local_day=now.date(),
            setting="street", outcome="open", people_reached=1, content_hash="x" * 64,
        ))
        db.session.commit()
        collection = small_city()
        collection["features"][0]["properties"]["nazwa"] = "Śródmieście Centrum"
        collection["features"][1] = copy.deepcopy(collection["features"][0])
        collection["features"][1]["properties"] = {"nazwa": "Mokotów", "kod": "M"}
        plan = plan_import(text(collection), DISTRICTS)
        assert plan.counts == {"added": 1, "updated": 1, "reinstated": 0, "unchanged": 1,
                               "retired": 1}
        import_file(text(collection), DISTRICTS)
        db.session.commit()
        rows = {d.code: d for d in db.session.scalars(db.select(District))}
        assert rows["S"].name == "Śródmieście Centrum" and rows["S"].slug == "srodmiescie"
        assert rows["M"].slug == "mokotow"
        kept = db.session.scalar(db.select(db.func.count(Encounter.id)).where(
            Encounter.district_id == rows["W"].id))
        assert rows["W"].retired and kept == 1
        # Importing the first file again brings Wola back.
        plan = plan_import(text(small_city()), DISTRICTS)
        assert plan.counts["reinstated"] == 1 and plan.counts["retired"] == 1


def test_cli_imports_prints_the_plan_and_dry_run_changes_nothing(app, runner, tmp_path):
    districts = tmp_path / "districts.geojson"
    districts.write_text(text(small_city()), encoding="utf-8")
    args = ["geography", "import", str(districts), "--level", "district",
            "--name-property", "nazwa", "--code-property", "kod"]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0 and "added     " in dry.output and "Dry run" in dry.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(District.id))) == 0
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert "Imported 3 district records: 3 added" in done.output
    again = runner.invoke(args=args)
    assert "3 unchanged" in again.output
    bad = tmp_path / "bad.geojson"
    bad.write_text("[]", encoding="utf-8")
    refused = runner.invoke(args=["geography", "import", str(bad), "--level", "district",
                                  "--name-property", "nazwa"])
    assert refused.exit_code == 1 and "nothing imported" in refused.output
    missing = runner.invoke(args=["geography", "import", str(districts), "--level",
                                  "neighbourhood", "--name-property", "nazwa"])
    assert missing.exit_code == 2 and "--parent-property" in missing.output


# --- The coordinator's pages -----------------------------------------------------------


def coordinator_client(client, create_user):
    user = create_user(Role.COORDINATOR)
    login(client, user.email)
    return client


def upload(client, collection, level="district", **fields):
    token = csrf_from(client.get("/geography/"))
    data = {"csrf_token": token, "level": level, "name_property": "nazwa",
            "code_property": "kod", "parent_property": "dzielnica" if level != "district" else "",
            "file": (io.BytesIO(text(collection).encode()), "city.geojson"), **fields}
    return client.post("/geography/upload", data=data, content_type="multipart/form-data")


def test_upload_preview_confirm(app, client, create_user):
    coordinator_client(client, create_user)
    sent = upload(client, small_city())
    assert sent.status_code == 302 and "/geography/import/" in sent.location
    preview = client.get(sent.location)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "3 to add" in page
    assert page.count('class="geo-shape geo-added"') == 3 and "Praga-Północ" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(District.id))) == 0
    done = client.post(sent.location, data={"csrf_token": csrf_from(preview)})
    assert done.status_code == 302
    listing = client.get("/geography/").get_data(as_text=True)
    assert "Imported: 3 added" in listing and "Śródmieście" in listing
    # The upload is gone once imported.
    assert client.post(sent.location, data={"csrf_token": csrf_from(preview)}).status_code == 302
    assert "expired or was already imported" in client.get("/geography/").get_data(as_text=True)


def test_a_bad_upload_is_shown_next_to_the_file_and_nothing_is_kept(app, client, create_user):
    coordinator_client(client, create_user)
    collection = small_city()
    collection["features"][1]["geometry"] = {"type": "Point", "coordinates": [21, 52]}
    sent = upload(client, collection)
    assert sent.status_code == 422
    assert "Feature 2 (Wola): its geometry is a Point" in sent.get_data(as_text=True)
    # Encoded here, so the test client keeps the 21 MB in memory (no temporary file).
    body = (b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.geojson"\r\n'
            b"Content-Type: application/geo+json\r\n\r\n" + b" " * (21 << 20) + b"\r\n--x--\r\n")
    too_big = client.post("/geography/upload", data=body,
                          content_type="multipart/form-data; boundary=x")
    assert too_big.status_code == 413
    assert "The file is larger than 20 MB." in too_big.get_data(as_text=True)
    no_csrf = client.post("/geography/upload", data={"level": "district"})
    assert no_csrf.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(District.id))) == 0


def test_only_coordinators_reach_the_geography_pages(client, create_user):
    agent = create_user(Role.AGENT)
    login(client, agent.email)
    assert client.get("/geography/").status_code == 403
    assert client.post("/geography/upload").status_code in (400, 403)


def test_add_rename_retire_reinstate_by_hand(app, client, create_user):
    coordinator_client(client, create_user)
    token = csrf_from(client.get("/geography/"))
    added = client.post("/geography/district/new", data={"csrf_token": token, "d-name": "Wola"})
    assert added.status_code == 302
    with app.app_context():
        wola = db.session.execute(db.select(District)).scalar_one()
        wola_id = wola.id
        assert (wola.code, wola.slug) == ("wola", "wola")
    client.post("/geography/neighbourhood/new", data={
        "csrf_token": token, "n-name": "Mirów", "n-district": str(wola_id), "n-code": "W1"})
    empty = client.post("/geography/district/new", data={"csrf_token": token, "d-name": ""})
    assert empty.status_code == 422
    client.post(f"/geography/district/{wola_id}", data={"csrf_token": token, "name": "Wola Nowa"})
    client.post(f"/geography/district/{wola_id}/retire", data={"csrf_token": token})
    with app.app_context():
        wola = db.session.get(District, wola_id)
        assert wola.name == "Wola Nowa" and wola.slug == "wola" and wola.retired
        actions = db.session.scalars(
            db.select(AuditEntry.action)
            .where(AuditEntry.entity_type.in_(("district", "neighbourhood")))
            .order_by(AuditEntry.id)
        ).all()
        assert actions == ["district.add", "neighbourhood.add", "district.rename",
                           "district.retire"]
    # A retired district is offered by no form, and the API refuses it.
    client.get("/geography/")  # the notice shown
    assert ">Wola Nowa</option>" not in client.get("/organisations/new").get_data(as_text=True)
    assert ">Wola Nowa</option>" not in client.get("/trainings/new").get_data(as_text=True)
    page = client.get("/geography/").get_data(as_text=True)
    assert "Wola Nowa" in page and "Reinstate" in page
    client.post(f"/geography/district/{wola_id}/reinstate", data={"csrf_token": token})
    assert ">Wola Nowa</option>" in client.get("/organisations/new").get_data(as_text=True)
    refused = client.post(f"/geography/district/{wola_id}/retire", data={})
    assert refused.status_code == 400


def test_a_retired_district_is_refused_when_a_conversation_is_logged(app, create_user):
    from rumours.models import User
    from rumours.rules.encounters import EncounterData
    from rumours.rules.errors import DomainError
    from rumours.services.encounters import log_encounter

    import_city(app)
    agent = create_user(Role.AGENT)
    with app.app_context():
        wola = db.session.execute(db.select(District).filter_by(code="W")).scalar_one()
        set_retired(wola, True)
        db.session.commit()
        data = EncounterData(occurred_at=datetime.now(UTC), district="wola", setting="market",
                             rumours=["no-such-rumour"], people_reached=1, outcome="open")
        with pytest.raises(DomainError) as caught:
            log_encounter(actor=db.session.get(User, agent.id), client_uuid=uuid.uuid4(),
                          data=data)
        assert "no longer in use" in caught.value.fields["district"][0]


# --- The maps --------------------------------------------------------------------------


def test_dashboard_draws_every_district_and_neighbourhood_of_a_small_city(
    app, client, create_user
):
    import_city(app)
    agent = create_user(Role.AGENT)
    with app.app_context():
        from rumours.models import SiteSetting

        db.session.add(SiteSetting(key="city.map_attribution", value="Miasto (CC BY 4.0)"))
        mirow = db.session.execute(db.select(Neighbourhood).filter_by(code="W1")).scalar_one()
        now = datetime.now(UTC)
        db.session.add(Encounter(
            client_uuid=uuid.uuid4(), agent_id=agent.id, district_id=mirow.district_id,
            neighbourhood_id=mirow.id, occurred_at=now, local_day=now.date(),
            setting="street", outcome="open", people_reached=1, content_hash="x" * 64,
        ))
        db.session.commit()
    coordinator_client(client, create_user)
    page = client.get("/dashboard/").get_data(as_text=True)
    drawn = re.findall(r'data-district="([^"]+)"', page)
    assert drawn == ["srodmiescie", "wola", "praga-połnoc"]
    assert sorted(re.findall(r'data-neighbourhood="([^"]+)"', page)) == [
        "mirow", "nowa-praga", "nowe-miasto", "stare-miasto"
    ]
    assert "Shapes: Miasto (CC BY 4.0)" in page and "Śródmieście" in page
    assert "<title>Mirów: 1 conversations</title>" in page
    assert "<title>Nowa Praga: 0 conversations</title>" in page
    # The map's names are kept per process until the geography changes: a rename shows.
    with app.app_context():
        mirow_id = db.session.execute(
            db.select(Neighbourhood.id).filter_by(code="W1")).scalar_one()
    token = csrf_from(client.get("/geography/"))
    renamed = client.post(f"/geography/neighbourhood/{mirow_id}",
                          data={"csrf_token": token, "name": "Mirów Nowy"})
    assert renamed.status_code == 302
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "<title>Mirów Nowy: 1 conversations</title>" in page


def test_dashboard_without_shapes_shows_the_table_and_no_map(app, client, create_user,
                                                            create_district):
    create_district("Centrum")
    coordinator_client(client, create_user)
    response = client.get("/dashboard/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-district=" not in page and 'class="map-svg"' not in page
    assert "Centrum" in page


def test_neighbours_still_share_their_border_after_simplifying():
    projected = charts.project(
        (f["properties"]["kod"], f["geometry"]) for f in small_city("neighbourhood")["features"]
    )
    old_town, new_town = projected.outlines["S1"].path, projected.outlines["S2"].path

    def corners(path):
        head, tail = path[1:].rstrip("z").split("l")
        x, y = (int(n) for n in head.split())
        points = [(x, y)]
        numbers = [int(n) for n in re.findall(r"-?\d+", tail)]
        for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        return points

    a, b = corners(old_town), corners(new_town)
    assert len(a) == 4  # the corners in the middle of each side are gone
    edges_a = {frozenset(e) for e in zip(a, a[1:] + a[:1], strict=True)}
    edges_b = {frozenset(e) for e in zip(b, b[1:] + b[:1], strict=True)}
    assert len(edges_a & edges_b) == 1  # the shared border, corner for corner
