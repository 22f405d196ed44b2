"""GET /api/v1/openapi.json: the API's OpenAPI 3.1 document matches its routes."""

import re

from rumours.rules.encounters import encounter_from_json


def api_routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            found |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_the_document_names_every_api_route_and_method_and_nothing_else(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == api_routes(app)


def test_the_encounter_schema_holds_the_fields_the_api_reads(client):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    encounter = schema["NewEncounter"]
    example = {
        "client_uuid": "6f1c9a8e-4b8e-4f6e-9a55-2f7f0c1d2e3f",
        "occurred_at": "2026-11-28T10:15:00+01:00", "district": "ciutat-vella",
        "setting": "market", "rumours": ["they-take-our-jobs"], "outcome": "doubt_sown",
    }
    assert set(encounter["required"]) == set(example)
    encounter_from_json(example)  # the documented minimum is what the API accepts
    assert set(encounter["properties"]["setting"]["enum"]) >= {"street", "market", "other"}
