"""`bailian-fc validate` on DATA_URL and the VPC apps and prewarm join to reach the DWS."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc_tools.deploy.validate import fake_env, validate

ROOT = Path(__file__).resolve().parents[2]
VPC = {
    "BAILIAN_FC_VPC_ID": "vpc-bp1venue",
    "BAILIAN_FC_VSWITCH_IDS": '["vsw-bp1a", "vsw-bp1b"]',
    "BAILIAN_FC_SECURITY_GROUP_ID": "sg-bp1rds",
}
# Every app id set: an empty one is a problem of its own (unless its app is in BAILIAN_APPS_DISABLED).
APP_IDS = {spec.app_id_setting: f"app-{spec.key}" for spec in CATALOGUE.values()}
PG = {"DATA_URL": "postgresql://fc_reader:pw@pgm-bp1.pg.rds.aliyuncs.com:5432/venue?sslmode=verify-full"}


def problems(tmp_path: Path, env: dict[str, str], mutate: Any = None) -> list[str]:
    path = ROOT / "s.yaml"
    if mutate is not None:
        raw = copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))
        mutate(raw)
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return validate(
        path, root=ROOT, env={**fake_env(ROOT / "s.yaml"), **APP_IDS, **env}, built=tmp_path / "none"
    ).problems


@pytest.mark.parametrize("env", [{}, VPC, {**VPC, **PG}], ids=["embedded", "vpc-only", "postgres-in-vpc"])
def test_consistent_settings_validate_clean(tmp_path: Path, env: dict[str, str]) -> None:
    assert problems(tmp_path, env) == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (PG, "apps: DATA_URL is PostgreSQL but no VPC is set"),
        ({**PG, **VPC, "BAILIAN_FC_VSWITCH_IDS": "[]"}, "BAILIAN_FC_VSWITCH_IDS must be a JSON list"),
        ({"BAILIAN_FC_VPC_ID": "vpc-bp1venue"}, "prewarm: BAILIAN_FC_SECURITY_GROUP_ID must look like sg-"),
        ({**VPC, "BAILIAN_FC_VPC_ID": "my-vpc"}, "BAILIAN_FC_VPC_ID must look like vpc-"),
        ({**VPC, "BAILIAN_FC_VSWITCH_IDS": "vsw-bp1a"}, "is not JSON"),
        ({"DATA_URL": "mysql://u@h/db"}, "DATA_URL must be postgresql://"),
        ({**VPC, "DATA_URL": "postgresql://u@/"}, "DATA_URL needs a host and a database"),
    ],
    ids=[
        "pg-without-vpc",
        "no-vswitch",
        "partial-vpc",
        "bad-vpc-id",
        "vswitch-not-json",
        "not-pg",
        "no-host",
    ],
)
def test_inconsistent_settings_are_named(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    found = problems(tmp_path, env)
    assert any(expected in p for p in found), found


def test_vpc_and_data_url_must_come_from_variables(tmp_path: Path) -> None:
    def literal(raw: dict[str, Any]) -> None:
        raw["resources"]["apps"]["props"]["vpcConfig"] = {
            "vpcId": "vpc-x",
            "vSwitchIds": ["vsw-x"],
            "securityGroupId": "sg-x",
        }
        del raw["resources"]["prewarm"]["props"]["environmentVariables"]["DATA_URL"]

    found = problems(tmp_path, {}, literal)
    assert "apps: vpcConfig must be ${vars.vpc} (the venue's VPC from variables)" in found
    assert "prewarm: environment lacks DATA_URL" in found
