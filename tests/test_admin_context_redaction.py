"""A site admin sees that a global sandbox clock exists, not who set it or why (as in the audit)."""

from __future__ import annotations

from pathlib import Path

from test_admin import SITE_ADMIN, Wall, build, call

from bailian_fc.admin import function as admin_function


def test_a_site_admin_sees_the_global_context_redacted(tmp_path: Path) -> None:
    admin_function.configure(build(tmp_path, Wall()))
    try:
        body = {"mode": "offset", "offset_seconds": 3600, "reason": "演练：王经理的秘密测试"}
        assert call("PUT", "/admin/runtime-context", body)[0] == 200
        _, platform = call("GET", "/admin/runtime-context")
        _, site = call("GET", "/admin/runtime-context", token=SITE_ADMIN)
    finally:
        admin_function.configure(None)
    (full,) = platform["contexts"]
    (seen,) = site["contexts"]
    assert full["reason"] == body["reason"] and full["set_by"] and not full.get("redacted")
    assert (seen["reason"], seen["set_by"], seen["redacted"]) == ("", "", True)
    assert (seen["mode"], seen["scope"], seen["expires_at"]) == (
        full["mode"],
        full["scope"],
        full["expires_at"],
    )
