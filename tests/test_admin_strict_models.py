"""Every admin request model, every field: a value of the wrong JSON type is a 400 naming the field.

The accepted JSON types of a field come from the model's own JSON Schema (what the OpenAPI documents
promise); hypothesis then draws values of every other JSON type, so a field that coerces ("60" into
60, true into 1, 0 into a date-time) fails here as soon as it is declared.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bailian_fc.admin.function import ROUTES
from bailian_fc.admin.jobs_admin import checked_payload
from bailian_fc.errors import InvalidInput
from bailian_fc.http.errors import ApiError
from bailian_fc.http.route import parse_body, parse_query
from bailian_fc.jobs.kinds import JOB_KINDS

JSON_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "integer": st.integers(-(10**12), 10**12),
    "number": st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda f: not f.is_integer()),
    "string": st.text(max_size=12),
    "array": st.lists(st.integers(0, 3), max_size=2),
    "object": st.dictionaries(st.sampled_from("abc"), st.integers(0, 3), max_size=2),
}


def accepted_types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    """The JSON types a field's schema admits (``number`` admits integers too)."""
    if "$ref" in schema:
        return accepted_types(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    found: set[str] = set()
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        found |= accepted_types(branch, defs)
    kind = schema.get("type")
    found |= set(kind) if isinstance(kind, list) else ({kind} if kind else set())
    for literal in [*schema.get("enum", []), *([schema["const"]] if "const" in schema else [])]:
        found.add(
            {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}[
                type(literal)
            ]
        )
    if "number" in found:
        found.add("integer")
    return found


def _fields(model: type[BaseModel]) -> list[tuple[str, set[str]]]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    return [(name, accepted_types(prop, defs)) for name, prop in schema.get("properties", {}).items()]


BODIES = sorted({(r.method, r.path, r.body) for r in ROUTES if r.body is not None}, key=lambda t: t[:2])
CASES = [
    (f"{method} {path} {field}", route_body, field, sorted(set(JSON_VALUES) - accepted))
    for method, path, route_body in BODIES
    for field, accepted in _fields(route_body)
    if set(JSON_VALUES) - accepted
]
PAYLOADS = [
    (f"{kind} payload.{field}", kind, field, sorted(set(JSON_VALUES) - accepted))
    for kind, spec in JOB_KINDS.items()
    for field, accepted in _fields(spec.payload)
]


def test_every_admin_body_model_has_fields_under_test() -> None:
    assert BODIES and all(_fields(body) for _, _, body in BODIES)
    names = {case[0] for case in CASES}
    for field in ("offset_seconds", "ttl_seconds", "fixed_at", "enabled"):
        assert any(name.endswith(" " + field) for name in names), field
    assert any(name.endswith("payload.force") for name, *_ in PAYLOADS)


@pytest.mark.parametrize(("name", "model", "field", "wrong"), CASES, ids=[c[0] for c in CASES])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_a_wrong_json_type_is_a_400_naming_the_field(
    name: str, model: type[BaseModel], field: str, wrong: list[str], data: st.DataObject
) -> None:
    value = data.draw(st.sampled_from(wrong).flatmap(lambda kind: JSON_VALUES[kind]))
    route = next(r for r in ROUTES if r.body is model)
    raw = json.dumps({field: value}).encode()
    with pytest.raises(ApiError) as refused:
        parse_body(route, raw, "application/json")
    assert refused.value.status == 400
    assert field in {d["field"].split(".")[0] for d in refused.value.details or []}, refused.value.details


@pytest.mark.parametrize(("name", "kind", "field", "wrong"), PAYLOADS, ids=[c[0] for c in PAYLOADS])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_a_wrong_json_type_in_a_job_payload_is_a_400_naming_the_field(
    name: str, kind: str, field: str, wrong: list[str], data: st.DataObject
) -> None:
    value = data.draw(st.sampled_from(wrong).flatmap(lambda kind: JSON_VALUES[kind]))
    with pytest.raises(InvalidInput) as refused:
        checked_payload(kind, {field: value})
    named = [d["field"] for d in refused.value.details or []]
    assert any(f == f"payload.{field}" or f.startswith(f"payload.{field}.") for f in named), named


def test_query_models_take_no_loose_numbers() -> None:
    limits = {r.query for r in ROUTES if r.query is not None and "limit" in r.query.model_fields}
    for model in limits:
        with pytest.raises(ApiError):
            parse_query(model, {"limit": "1e3"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("offset_seconds", "1e3"),
        ("offset_seconds", True),
        ("ttl_seconds", "60"),
        ("ttl_seconds", True),
        ("fixed_at", 0),
    ],
)
def test_the_loose_values_of_the_issue_are_refused(field: str, value: Any) -> None:
    route = next(r for r in ROUTES if r.method == "PUT" and r.path == "/admin/runtime-context")
    body = {"mode": "offset" if field != "fixed_at" else "fixed", "reason": "r", field: value}
    with pytest.raises(ApiError) as refused:
        parse_body(route, json.dumps(body).encode(), "application/json")
    assert [d["field"] for d in refused.value.details or []] == [field]


@pytest.mark.parametrize("value", ["true", 1, 0, "false"])
def test_a_payloads_force_is_a_json_boolean(value: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_payload("app2_prewarm", {"force": value})
    assert [d["field"] for d in refused.value.details or []] == ["payload.force"]
