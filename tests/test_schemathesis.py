"""Schemathesis against `bailian-fc dev`: every operation of the OpenAPI document, every role.

For each generated request, tokens of all four roles (and the document's public routes without
one): never a 5xx, status codes, content types and bodies as documented, and every error body
in the one error shape. Bounded by ``max_examples`` per operation so the suite stays short.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator
from bailian_fc_tools.export.types import openapi as combined_document

pytestmark = pytest.mark.slow

SCHEMA = schemathesis.openapi.from_dict(combined_document())
# Valid requests and requests that break the schema (wrong types, missing fields, bad enums...).
SCHEMA.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
TOKENS = {
    role: AUTH.mint(f"fuzz-{role}", "site-001", role) for role in ("staff", "manager", "admin", "service")
}
TOKENS["platform admin"] = AUTH.mint("fuzz-platform", "site-001", "admin", platform=True)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def error_shape(ctx, response, case):
    """Every 4xx/5xx body is {"error": {"code", "message", "request_id"}} (the documented schema
    says so too; this names the failure plainly when a route forgets)."""
    if response.status_code >= 400:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        assert isinstance(error, dict) and {"code", "message", "request_id"} <= set(error), body
        assert isinstance(error["code"], str) and isinstance(error["message"], str), body
    return True


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    with running_dev(tmp_path_factory.mktemp("schemathesis") / "store") as (base, _, _):
        yield base


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_its_contract_for_every_role(dev, case):
    for token in TOKENS.values():
        case.call_and_validate(
            base_url=dev,
            headers={"Authorization": f"Bearer {token}"},
            checks=[*CHECKS, error_shape],
            timeout=30,
        )
