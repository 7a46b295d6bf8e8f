"""``validate``'s checks of the deployment itself: the environment ``s deploy`` renders and the build dir.

The schema checks in validate.py look at s.yaml's shape; these look at what FC will run with, each a
failure that would otherwise show up only after deploy: an unset ``${env('X')}`` (``s preview`` fails
there, a fake value would hide it), a store a function instance cannot share (``file://``) or cannot
open (``oss://`` without an endpoint), an HS256 secret the functions refuse, a build dir packaged for
another store or venue-data adapter than the one configured, and props FC ignores.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bailian_fc.auth import MIN_SECRET_BYTES
from bailian_fc.store import SCHEMES as STORE_SCHEMES
from bailian_fc_tools.builder.build import BUILD_INFO, data_kind
from bailian_fc_tools.builder.manifest import Function

_REQUIRED_ENV_CALL = re.compile(r"""env\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)""")


def required_env_calls(manifest_path: Path) -> list[str]:
    """The ``${env('X')}`` calls of s.yaml without a default: ``s deploy`` cannot render without them."""
    return sorted(set(_REQUIRED_ENV_CALL.findall(manifest_path.read_text(encoding="utf-8"))))


def missing_env(manifest_path: Path, env: dict[str, str]) -> list[str]:
    return [
        f"environment variable {name} is not set (s.yaml needs it: `s preview`/`s deploy` fail without it)"
        for name in required_env_calls(manifest_path)
        if not env.get(name)
    ]


def _or_list(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def store_url_problem(url: str) -> str | None:
    """Why FC cannot run on this STORE_URL, or None (what each scheme needs: store.SCHEMES)."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    deployable = _or_list([f"{name}://" for name, s in STORE_SCHEMES.items() if s.shared])
    scheme = STORE_SCHEMES.get(parts.scheme)
    if scheme is None:
        return f"STORE_URL={url}: unsupported scheme {parts.scheme!r} ({deployable})"
    if not scheme.shared:
        return (
            f"STORE_URL={url}: a file store lives on one instance's disk (lost on recycle, not shared "
            f"between functions); deploy with {deployable}"
        )
    if scheme.container and not parts.netloc:
        return f"STORE_URL={url}: no {scheme.container} after {parts.scheme}://"
    if scheme.endpoint_example and not query.get("endpoint"):
        return (
            f"STORE_URL={url}: {parts.scheme}:// needs ?endpoint={scheme.endpoint_example} "
            "(the initializer fails without it)"
        )
    if parts.scheme == "ots" and not parts.path.strip("/"):
        return f"STORE_URL={url}: ots:// needs a table: ots://<instance>/<table>?endpoint=…"
    return None


def secret_problem(secret: str) -> str | None:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return (
            f"AUTH_JWT_SECRET is {len(secret.encode())} bytes; HS256 needs at least {MIN_SECRET_BYTES} "
            "(e.g. `openssl rand -base64 48`)"
        )
    return None


def is_fake(value: str) -> bool:
    """validate renders missing required variables with fakes (to check the rest): skip their values."""
    return value.startswith("fake-")


def check_function_env(function: Function) -> list[tuple[str, str]]:
    """The rendered environment this function gets: a store it can open and share, a usable secret.

    ``(function, problem)`` pairs: the same value reaches several functions and is reported once.
    """
    env = {k: str(v) for k, v in (function.props.get("environmentVariables") or {}).items()}
    found = []
    if (url := env.get("STORE_URL")) and not is_fake(url) and (why := store_url_problem(url)):
        found.append((function.resource, why))
    if (
        (secret := env.get("AUTH_JWT_SECRET")) is not None
        and not is_fake(secret)
        and (why := secret_problem(secret))
    ):
        found.append((function.resource, why))
    return found


def check_concurrency(function: Function) -> list[str]:
    """FC honours instanceConcurrency only in custom runtimes: on a built-in one it only misleads."""
    if not function.is_web and function.props.get("instanceConcurrency") not in (None, 1):
        return [
            f"{function.resource}: instanceConcurrency is ignored by FC's built-in {function.runtime} "
            "runtime (one request per instance); remove it"
        ]
    return []


def check_build_matches(function: Function, built: Path | None, root: Path | None = None) -> list[str]:
    """A build dir packages one store adapter and one venue-data adapter: they must be the configured ones;
    and exactly the lock's distributions (``root``'s ``requirements/functions.lock``)."""
    info_path = built / function.resource / BUILD_INFO if built else None
    if info_path is None or not info_path.is_file():
        return []
    info: dict[str, Any] = json.loads(info_path.read_text(encoding="utf-8"))
    env = {k: str(v) for k, v in (function.props.get("environmentVariables") or {}).items()}
    where, found = function.resource, []
    if root is not None:
        found += check_build_lock(where, info_path.parent, info, root)
    url = env.get("STORE_URL", "")
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if url and not is_fake(url) and info.get("store") != scheme:
        found.append(
            f"{where}: build/{where} packages the {info.get('store')!r} store adapter but STORE_URL is {scheme}://; "
            f"rebuild with this environment (`bailian-fc build {where}`)"
        )
    if "DATA_URL" in env and not is_fake(env["DATA_URL"]):
        wanted = data_kind("auto", {"DATA_URL": env["DATA_URL"]})
        if info.get("data") != wanted:
            found.append(
                f"{where}: build/{where} packages venue data {info.get('data')!r} but DATA_URL means {wanted!r}; "
                f"rebuild with this environment (`bailian-fc build {where}`)"
            )
    return found


def check_build_lock(where: str, code: Path, info: dict[str, Any], root: Path) -> list[str]:
    """The build dir ships what the lock says: built from this lock, and each installed distribution at
    the locked version (read from its dist-info, not from what BUILD_INFO claims)."""
    from bailian_fc_tools.builder import lock as lockfile

    rebuild = f"rebuild it (`bailian-fc build {where}`)"
    try:
        lock = lockfile.load(root)
    except lockfile.LockError as exc:
        return [f"{where}: {exc}"]
    if info.get("lock") != lock.digest:
        return [f"{where}: build/{where} was not built from {lockfile.LOCK_PATH} as it is now; {rebuild}"]
    shipped = [lockfile.Pin(n, v, "") for n, v in lockfile.installed(code / "python").items()]
    if drift := lockfile.differences(shipped, lock):
        return [f"{where}: build/{where} does not match {lockfile.LOCK_PATH}: {'; '.join(drift)}; {rebuild}"]
    return []


def check_https(resources: dict[str, Any]) -> list[str]:
    from bailian_fc_tools.deploy.settings_check import certificate_problems, domain_problem

    """The miniprogram's wx.request reaches HTTPS domains only: each custom domain serves HTTPS with a cert."""
    found: list[str] = []
    for name, res in resources.items():
        if not str(res.get("component", "")).startswith("fc3-domain"):
            continue
        props = res.get("props") or {}
        domain = str(props.get("domainName") or "")
        if why := domain_problem(domain):
            found.append(f"{name}: {why}")
        if domain in ("", "auto"):
            found.append(
                f"{name}: domainName is {domain or 'empty'!r}; set BAILIAN_FC_DOMAIN to the miniprogram's "
                "registered (ICP-filed) domain"
            )
        if "HTTPS" not in str(props.get("protocol", "")).split(","):
            found.append(f"{name}: protocol is {props.get('protocol')!r}; the miniprogram needs HTTP,HTTPS")
            continue
        cert = props.get("certConfig") or {}
        pem, key = str(cert.get("certificate") or ""), str(cert.get("privateKey") or "")
        if not cert.get("certName"):
            found.append(f"{name}: HTTPS needs certConfig.certName")
        if not is_fake(pem) and "-----BEGIN CERTIFICATE-----" not in pem:
            found.append(
                f"{name}: certConfig.certificate (BAILIAN_FC_CERT_PEM) is not a PEM certificate chain"
            )
        key_ok = is_fake(key) or bool(re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", key))
        if not key_ok:
            found.append(f"{name}: certConfig.privateKey (BAILIAN_FC_CERT_KEY_PEM) is not a PEM private key")
        if not is_fake(pem) and "-----BEGIN CERTIFICATE-----" in pem:
            valid = "" if domain_problem(domain) else domain  # names are checked against a valid domain only
            found += [f"{name}: {p}" for p in certificate_problems(pem, key if key_ok else "", valid)]
    return found
