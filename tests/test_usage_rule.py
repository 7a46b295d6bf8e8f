"""tokens_used follows the replaced system's rule: models, else total_tokens, else input + output; junk is 0."""

from __future__ import annotations

import base64
import json

import pytest
from support import SECRET

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.auth import Authenticator
from bailian_fc.bailian.usage import Usage, number
from bailian_fc.runlog import record as runlog
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.local.fc_context import fake_context


@pytest.mark.parametrize(
    ("wire", "used"),
    [
        (
            {
                "models": [
                    {"model_id": "a", "input_tokens": 3, "output_tokens": 4},
                    {"model_id": "b", "input_tokens": 10, "output_tokens": 1},
                ],
                "total_tokens": 999,
            },
            18,
        ),
        ({"total_tokens": 77}, 77),
        ({"total_tokens": 77, "input_tokens": 1, "output_tokens": 1}, 77),
        ({"input_tokens": 5, "output_tokens": 6}, 11),
        ({"input_tokens": "abc", "output_tokens": 6}, 6),
        ({"total_tokens": "abc"}, 0),
        # a null (or non-numeric) total is no total: fall through to input + output
        ({"total_tokens": None, "input_tokens": 5, "output_tokens": 7}, 12),
        ({"total_tokens": "n/a", "input_tokens": 5, "output_tokens": 7}, 12),
        # numeric strings count, everywhere a count is read
        ({"total_tokens": "3"}, 3),
        ({"total_tokens": " 4.0 ", "input_tokens": 1, "output_tokens": 1}, 4),
        ({"input_tokens": "3", "output_tokens": "2"}, 5),
        ({"models": [{"model_id": "a", "input_tokens": "3", "output_tokens": 4}]}, 7),
        ({"total_tokens": "-3", "input_tokens": 1}, 0),
        ({"total_tokens": "1e400"}, 0),
        ({"models": [{"model_id": "a", "input_tokens": None, "output_tokens": float("nan")}]}, 0),
        ({"models": "junk", "total_tokens": 12}, 12),
        ({"models": [], "input_tokens": 2, "output_tokens": True}, 2),
        ({}, 0),
        (None, 0),
        ("junk", 0),
    ],
)
def test_tokens_used_rule(wire, used):
    usage = Usage()
    usage.add_wire(wire)
    assert usage.tokens_used == used and usage.as_dict()["tokens_used"] == used


def test_tokens_used_sums_over_attempts():
    first, second = Usage(), Usage()
    first.add_wire({"total_tokens": 7})
    second.add_wire({"models": [{"model_id": "m", "input_tokens": 1, "output_tokens": 2}]})
    first.merge(second)
    assert first.tokens_used == 10 and first.input_tokens == 1 and first.output_tokens == 2


def test_the_dashboard_sums_tokens_used_by_the_rule(tmp_path):
    """A total-only reply (tokens_used 77, no split) counts 77 on the dashboard; an older record without
    tokens_used counts input + output."""
    runtime = AdminFunction.build(
        Settings(store_url=f"file://{tmp_path}/store", auth_jwt_secret=SECRET), FileStore(tmp_path / "store")
    )
    total_only = Usage()
    total_only.add_wire({"total_tokens": 77})
    for tokens in (total_only.as_dict(), {"input_tokens": 3, "output_tokens": 4, "models": {}}):
        runlog.write(
            runtime.store,
            runlog.RunRecord(
                app="app3_clue_detail",
                site_id="site-001",
                user="u",
                request_id="r",
                cache="miss",
                status="ok",
                tokens=tokens,
            ),
        )
    token = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("root", "site-001", "admin", platform=True)
    event = {
        "version": "v1",
        "rawPath": "/admin/dashboard",
        "queryParameters": {"days": "1"},
        "body": "",
        "headers": {"Authorization": f"Bearer {token}"},
        "isBase64Encoded": False,
        "requestContext": {"requestId": "r-1", "http": {"method": "GET", "path": "/admin/dashboard"}},
    }
    admin_function.configure(runtime)
    try:
        out = admin_function.handler(json.dumps(event).encode(), fake_context())
    finally:
        admin_function.configure(None)
    body = json.loads(base64.b64decode(out["body"]) if out["isBase64Encoded"] else out["body"])
    assert out["statusCode"] == 200 and body["total"]["tokens_used"] == 77 + 7


@pytest.mark.parametrize(
    ("value", "counted"),
    [
        ("12", 12),  # a numeric string is a count
        (" 4.9 ", 4),  # fractions are cut, not rounded
        (-3, 0),  # a negative number is a count, clamped at 0 (so a negative total is a total of 0)
        ("-3", 0),
        (True, None),  # a boolean is not a number: as if the field were missing
        ("abc", None),  # neither is other text
        (float("inf"), None),
        ("9" * 40, None),  # nor a string too long to be a count
    ],
)
def test_junk_token_values_follow_the_documented_rule(value, counted):
    """docs/contracts.md "tokens_used": what a junk value counts as, one class each."""
    assert number(value) == counted
    usage = Usage()
    usage.add_wire({"total_tokens": value, "input_tokens": 5, "output_tokens": 7})
    assert usage.tokens_used == (12 if counted is None else counted)  # not given: input + output
