"""tokens_used follows the replaced system's rule: models, else total_tokens, else input + output; junk is 0."""

from __future__ import annotations

import pytest

from bailian_fc.usage import Usage


@pytest.mark.parametrize(("wire", "used"), [
    ({"models": [{"model_id": "a", "input_tokens": 3, "output_tokens": 4},
                 {"model_id": "b", "input_tokens": 10, "output_tokens": 1}], "total_tokens": 999}, 18),
    ({"total_tokens": 77}, 77),
    ({"total_tokens": 77, "input_tokens": 1, "output_tokens": 1}, 77),
    ({"input_tokens": 5, "output_tokens": 6}, 11),
    ({"input_tokens": "abc", "output_tokens": 6}, 6),
    ({"total_tokens": "abc"}, 0),
    ({"models": [{"model_id": "a", "input_tokens": None, "output_tokens": float("nan")}]}, 0),
    ({"models": "junk", "total_tokens": 12}, 12),
    ({"models": [], "input_tokens": 2, "output_tokens": True}, 2),
    ({}, 0),
    (None, 0),
    ("junk", 0),
])
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
