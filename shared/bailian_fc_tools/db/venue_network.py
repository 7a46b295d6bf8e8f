"""``bailian-fc validate``'s checks for venue data: DATA_URL and the VPC that reaches the DWS.

Rendered with the real environment of ``s deploy`` (``validate`` otherwise renders defaults):
* apps and prewarm take ``vpcConfig: ${vars.vpc}`` (ids from variables, never literals);
* the VPC is all set (``vpc-…``, a JSON list of ``vsw-…``, ``sg-…``) or all unset (fc3's "no VPC");
* ``DATA_URL`` is unset or a ``postgresql://`` URL with a host and a database, and a PostgreSQL
  ``DATA_URL`` comes with a VPC (an RDS instance is reached on its VPC address).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bailian_fc_tools.builder.manifest import ManifestError, load_manifest

DATA_FUNCTIONS = ("apps", "prewarm")
_VPC = re.compile(r"^vpc-[a-z0-9]+$")
_VSWITCH = re.compile(r"^vsw-[a-z0-9]+$")
_SG = re.compile(r"^sg-[a-z0-9]+$")


def check_vpc(where: str, vpc: Any) -> list[str]:
    if not isinstance(vpc, dict):
        return [f"{where}: vpcConfig must be an object from ${{vars.vpc}}, not {vpc!r}"]
    vpc_id, switches, group = vpc.get("vpcId", ""), vpc.get("vSwitchIds", []), vpc.get("securityGroupId", "")
    if not vpc_id and not switches and not group:
        return []
    found = []
    if not isinstance(vpc_id, str) or not _VPC.fullmatch(vpc_id):
        found.append(f"{where}: BAILIAN_FC_VPC_ID must look like vpc-xxxx, not {vpc_id!r}")
    if (
        not isinstance(switches, list)
        or not switches
        or not all(isinstance(s, str) and _VSWITCH.fullmatch(s) for s in switches)
    ):
        found.append(f"{where}: BAILIAN_FC_VSWITCH_IDS must be a JSON list of vsw-xxxx ids, not {switches!r}")
    if not isinstance(group, str) or not _SG.fullmatch(group):
        found.append(f"{where}: BAILIAN_FC_SECURITY_GROUP_ID must look like sg-xxxx, not {group!r}")
    return found


def check_data_url(url: str) -> list[str]:
    if not url:
        return []
    if not url.startswith(("postgresql://", "postgres://")):
        return ["DATA_URL must be postgresql://… (or unset for the embedded dataset)"]
    parts = urlsplit(url)
    if not parts.hostname or not parts.path.strip("/"):
        return ["DATA_URL needs a host and a database: postgresql://user:password@host:5432/dbname"]
    return []


def check_venue_network(manifest_path: Path, env: dict[str, str]) -> list[str]:
    try:
        manifest = load_manifest(manifest_path, env=env)
    except ManifestError as exc:
        return [f"s.yaml does not render with this environment: {exc}"]
    found = check_data_url(env.get("DATA_URL", ""))
    for name in DATA_FUNCTIONS:
        function = manifest.functions.get(name)
        if function is None:
            continue
        raw = (manifest.raw["resources"][name].get("props") or {}).get("vpcConfig")
        if not re.fullmatch(r"\$\{\s*vars\.vpc\s*\}", str(raw or "").strip()):
            found.append(f"{name}: vpcConfig must be ${{vars.vpc}} (the venue's VPC from variables)")
            continue
        vpc = function.props.get("vpcConfig")
        found += check_vpc(name, vpc)
        if env.get("DATA_URL", "").startswith(("postgresql://", "postgres://")) and not (vpc or {}).get(
            "vpcId"
        ):
            found.append(
                f"{name}: DATA_URL is PostgreSQL but no VPC is set: set BAILIAN_FC_VPC_ID, "
                "BAILIAN_FC_VSWITCH_IDS and BAILIAN_FC_SECURITY_GROUP_ID to the DWS's VPC"
            )
    return found


def check_data_login(url: str, *, connect_timeout: int = 3) -> tuple[list[str], list[str]]:
    """(problems, notes) for the ``DATA_URL`` login, when the database answers from here.

    An RDS inside the venue's VPC is usually unreachable from the operator's machine: that is a
    note, not a problem (the functions check again on their first connection, and ``verify`` asks).
    """
    if not url.startswith(("postgresql://", "postgres://")):
        return [], []
    try:
        import psycopg
    except ImportError:
        return [], ["DATA_URL login not checked: psycopg is not installed here"]
    from bailian_fc.venue.login import check_login

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout) as conn:
            verdict = check_login(conn)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [], [f"DATA_URL login not checked (database not reachable from here: {first})"]
    if verdict.safe:
        return [], [f"DATA_URL {verdict.describe()}"]
    return [f"DATA_URL {verdict.describe()}"], []
