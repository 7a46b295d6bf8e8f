"""`bailian-fc lock` and exact builds: the lock decides what ships, the build and validate hold to it.

The builds here are admin on the file store (the smallest code dir) from the committed lock and the
shared wheelhouse (build/.wheels): offline once it holds the locked wheels.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bailian_fc_tools.builder import build as build_mod
from bailian_fc_tools.builder import lock as lock_mod
from bailian_fc_tools.builder.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / lock_mod.LOCK_PATH


def project_copy(tmp_path: Path, *, pyproject: str | None = None, lock: str | None = None) -> Path:
    """A project root that shares this checkout's code but has its own pyproject.toml and lock."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("s.yaml", "functions", "shared", "clients"):
        (root / name).symlink_to(ROOT / name)
    (root / "pyproject.toml").write_text(pyproject or (ROOT / "pyproject.toml").read_text(), encoding="utf-8")
    (root / "requirements").mkdir()
    (root / lock_mod.LOCK_PATH).write_text(lock or LOCK.read_text(), encoding="utf-8")
    return root


def test_the_committed_lock_is_current_and_covers_every_function_store_and_data_adapter() -> None:
    lock = lock_mod.load(ROOT)
    lock_mod.check_current(lock, ROOT, "3.10", "manylinux2014_x86_64")  # raises when stale
    assert {"dashscope", "oss2", "boto3", "tablestore", "psycopg-binary", "pydantic-core"} <= set(lock.pins)
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.sha256) for p in lock.pins.values())
    assert (
        lock_mod.parse(lock_mod.render(list(lock.pins.values()), "3.10", lock.platform, lock.inputs)).pins
        == lock.pins
    )


def test_a_lock_older_than_pyproject_is_refused_with_the_refresh_command(tmp_path: Path) -> None:
    text = (ROOT / "pyproject.toml").read_text().replace('"croniter>=2.0",', '"croniter>=2.0,<99",')
    root = project_copy(tmp_path, pyproject=text)
    with pytest.raises(build_mod.BuildError, match=r"out of date.*run `bailian-fc lock`"):
        build_mod.build(["admin"], root=root, out=tmp_path / "out", store="file")
    assert not (tmp_path / "out" / "admin").exists()  # refused before installing anything
    root.joinpath(lock_mod.LOCK_PATH).unlink()
    with pytest.raises(build_mod.BuildError, match=r"no requirements/functions.lock: run `bailian-fc lock`"):
        build_mod.build(["admin"], root=root, out=tmp_path / "out", store="file")


def test_a_target_the_lock_is_not_for_is_refused() -> None:
    with pytest.raises(lock_mod.LockError, match=r"for Python 3.10 .* this build for 3.12"):
        lock_mod.check_current(lock_mod.load(ROOT), ROOT, "3.12", "manylinux2014_x86_64")


def _build_admin(root: Path, out: Path) -> Path:
    build_mod.build(["admin"], root=root, out=out, store="file", compile_pyc=False)
    return out / "admin"


@pytest.fixture(scope="module")
def admin_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_admin(ROOT, tmp_path_factory.mktemp("locked"))


@pytest.mark.build
def test_two_builds_from_one_lock_write_the_same_build_info(admin_code: Path, tmp_path: Path) -> None:
    again = _build_admin(ROOT, tmp_path)
    first = (admin_code / build_mod.BUILD_INFO).read_bytes()
    assert first == (again / build_mod.BUILD_INFO).read_bytes()
    info = json.loads(first)
    lock = lock_mod.load(ROOT)
    assert info["lock"] == lock.digest and "built_at" not in info
    shipped = {d["name"]: d for d in info["distributions"]}
    assert {"pydantic", "pydantic-core", "croniter"} <= set(shipped) and "dashscope" not in shipped
    for name, entry in shipped.items():  # exactly the lock's version and wheel
        assert (entry["version"], entry["sha256"]) == (lock.pins[name].version, lock.pins[name].sha256)
    assert set(shipped) == set(lock_mod.installed(admin_code / "python"))


@pytest.mark.build
def test_a_wheel_whose_hash_is_not_the_locked_one_fails_the_build(tmp_path: Path) -> None:
    lock = lock_mod.load(ROOT)
    pin = lock.pins["croniter"]
    text = LOCK.read_text().replace(pin.sha256, "0" * 64)
    root = project_copy(tmp_path, lock=text)
    with pytest.raises(
        build_mod.BuildError, match=r"croniter 7\S*: wheel sha256 .*, the lock has 000000000000"
    ):
        _build_admin(root, tmp_path / "out")


@pytest.mark.build
def test_validate_refuses_a_build_dir_that_does_not_match_the_lock(admin_code: Path, tmp_path: Path) -> None:
    from test_validate_deploy_env import GOOD

    from bailian_fc_tools.deploy.validate import validate

    built = tmp_path / "build"
    for name in load_manifest(ROOT / "s.yaml", strict=False).functions:
        shutil.copytree(admin_code, built / name, symlinks=True)
        info = json.loads((built / name / build_mod.BUILD_INFO).read_text())
        (built / name / build_mod.BUILD_INFO).write_text(
            json.dumps({**info, "function": name, "store": "oss"})
        )

    def lock_problems() -> list[str]:
        found = validate(ROOT / "s.yaml", root=ROOT, env=GOOD, built=built).problems
        return [p for p in found if "functions.lock" in p]

    assert lock_problems() == []
    meta = next((built / "admin" / "python").glob("croniter-*.dist-info")) / "METADATA"
    meta.write_text(re.sub(r"^Version: .*$", "Version: 6.0.0", meta.read_text(), count=1, flags=re.M))
    assert lock_problems() == [
        "admin: build/admin does not match requirements/functions.lock: croniter is 6.0.0, the lock has "
        f"{lock_mod.load(ROOT).pins['croniter'].version}; rebuild it (`bailian-fc build admin`)"
    ]
    info = json.loads((built / "apps" / build_mod.BUILD_INFO).read_text())
    (built / "apps" / build_mod.BUILD_INFO).write_text(json.dumps({**info, "lock": None}))
    assert any(
        p.startswith("apps: build/apps was not built from requirements/functions.lock")
        for p in lock_problems()
    )


def test_lock_check_says_whether_the_lock_is_current() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", "lock", "--check"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "is current" in done.stderr, done.stderr
