"""The OpenAPI document is complete: every body has an example, every error a problem."""

from fastapi.testclient import TestClient


def test_every_request_body_has_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    bodies = [
        (path, method, content["schema"])
        for path, methods in spec["paths"].items() for method, operation in methods.items()
        if "requestBody" in operation
        for content in operation["requestBody"]["content"].values()
    ]
    assert {(path, method) for path, method, _ in bodies} >= {
        ("/cases", "post"), ("/cases/{case_id}/events", "post"), ("/screenings", "post"),
        ("/cycles", "post"), ("/assignments/{assignment_id}/decision", "post"),
        ("/assignments/{assignment_id}/outcome", "post")}
    for path, method, schema in bodies:
        name = schema["$ref"].rsplit("/", 1)[-1] if "$ref" in schema else schema["title"]
        examples = schemas[name].get("examples") if "$ref" in schema else schema.get("examples")
        assert examples, f"{method.upper()} {path}: {name} has no example"


def test_writes_document_their_refusals(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    append = spec["paths"]["/cases/{case_id}/events"]["post"]
    assert {"404", "409", "412", "422"} <= set(append["responses"])
    assert any(p["name"].lower() == "if-match" for p in append["parameters"])
    assert any(p["name"] == "idempotency-key" for p in append["parameters"])
