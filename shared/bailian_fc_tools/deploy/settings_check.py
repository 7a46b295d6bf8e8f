"""``validate``'s checks of what the functions will read: their own settings, app ids, domain and certificate.

Each function's rendered ``environmentVariables`` go through the functions' own
:class:`bailian_fc.settings.Settings` (the model every initializer builds), so a value that would crash
every instance at start (``BAILIAN_MAX_ATTEMPTS=three``, ``BUSINESS_TZ=China/Beijing``) is a problem
here, with the setting's name, what is wrong and the fix. The same value reaches several functions; it
is reported **once**, naming them (``chat, apps, prewarm: …``), never once per function.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bailian_fc.settings import Settings, disabled_apps
from bailian_fc_tools.builder.manifest import Function
from bailian_fc_tools.deploy.deploy_env import is_fake

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# oss-<region>[-internal].aliyuncs.com; <instance>.<region>[.vpc].(ots|tablestore).aliyuncs.com
_OSS_HOST = re.compile(r"^oss-([a-z0-9-]+?)(-internal)?\.aliyuncs\.com$")
_OTS_HOST = re.compile(r"^[^.]+\.([a-z0-9-]+)\.(?:vpc\.)?(?:ots|tablestore|ots-internal)\.aliyuncs\.com$")


def grouped(found: Iterable[tuple[str, str]]) -> list[str]:
    """``(function, problem)`` pairs as one line per problem, naming every function it concerns."""
    by_problem: dict[str, list[str]] = {}
    for function, problem in found:
        if function not in by_problem.setdefault(problem, []):
            by_problem[problem].append(function)
    return [f"{', '.join(functions)}: {problem}" for problem, functions in by_problem.items()]


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.8)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def zone_hint(value: str) -> str:
    """A "did you mean" for a zone name, matching the part after the slash too (Asia/Beijng)."""
    hint = did_you_mean(value, _zones())
    if not hint and "/" in value:  # China/Beijing: no close full name; the city may still be one
        city = value.rsplit("/", 1)[-1].lower()
        close = [z for z in sorted(_zones()) if z.rsplit("/", 1)[-1].lower() == city]
        hint = f"; did you mean {' or '.join(repr(c) for c in close[:3])}?" if close else ""
    return hint or "; e.g. 'Asia/Shanghai' (China's zone; see `python -m zoneinfo` or tzdata's list)"


def field_fix(name: str) -> str:
    """What a valid value of setting ``name`` looks like, from the model's own declaration."""
    info = Settings.model_fields[name]
    kind = (
        "a whole number" if info.annotation is int else "a number" if info.annotation is float else "a value"
    )
    bounds = []
    for item in info.metadata:
        for attr, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(item, attr, None) is not None:
                bounds.append(f"{word} {getattr(item, attr)}")
    fix = {
        "business_tz": "an IANA zone name",
        "business_day_start": "'HH:MM' on a 24-hour clock, e.g. 08:00",
    }.get(name, " ".join([kind, *bounds]))
    default = info.default
    return f"{fix} (default {default!r})" if default not in (None, "") else fix


def settings_problems(function: Function) -> list[tuple[str, str]]:
    """The function's environment through :class:`Settings`: one ``(function, problem)`` per bad field."""
    from pydantic import ValidationError

    env = {k: str(v) for k, v in (function.props.get("environmentVariables") or {}).items()}
    env = {k: v for k, v in env.items() if not is_fake(v)}
    try:
        Settings.from_env(env)
    except ValidationError as exc:
        found = []
        for error in exc.errors(include_url=False):
            name = str(error["loc"][0]) if error["loc"] else ""
            value = env.get(name.upper(), "")
            why = str(error["msg"]).removeprefix("Value error, ")
            hint = zone_hint(value) if name == "business_tz" else ""
            found.append(
                (function.resource, f"{name.upper()}={value!r}: {why}{hint}; fix: {field_fix(name)}")
            )
        return found
    return []


def app_id_problems(function: Function, needed: set[str]) -> list[tuple[str, str]]:
    """Every app id the function serves is set, or its app is listed in ``BAILIAN_APPS_DISABLED``."""
    from bailian_fc.catalogue.registry import CATALOGUE

    env = {k: str(v) for k, v in (function.props.get("environmentVariables") or {}).items()}
    disabled = disabled_apps(env.get("BAILIAN_APPS_DISABLED", ""))
    found = [
        (
            function.resource,
            f"BAILIAN_APPS_DISABLED names {key!r}, which is no catalogue app{did_you_mean(key, CATALOGUE)}",
        )
        for key in sorted(disabled - set(CATALOGUE))
    ]
    for spec in CATALOGUE.values():
        setting = spec.app_id_setting
        if setting in needed and not env.get(setting) and spec.key not in disabled:
            found.append(
                (
                    function.resource,
                    f"{setting} is empty: {spec.key} would answer 503 AppNotConfigured; fix: set it to the "
                    f"Bailian app's id, or add {spec.key} to BAILIAN_APPS_DISABLED",
                )
            )
    return found


def endpoint_region(url: str) -> str | None:
    """The region an ``oss://`` / ``ots://`` STORE_URL's endpoint is in, when its host says."""
    parts = urlsplit(url)
    endpoint = {k: v[-1] for k, v in parse_qs(parts.query).items()}.get("endpoint", "")
    host = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}").hostname or ""
    match = (_OSS_HOST if parts.scheme == "oss" else _OTS_HOST).match(host)
    return match.group(1) if match else None


def region_problems(function: Function) -> list[tuple[str, str]]:
    """A store in another region than the function: cross-region traffic, and no ``-internal`` endpoint."""
    url = str((function.props.get("environmentVariables") or {}).get("STORE_URL", ""))
    region = str(function.props.get("region", ""))
    store_region = endpoint_region(url) if url.startswith(("oss://", "ots://")) else None
    if store_region and region and store_region != region:
        return [
            (
                function.resource,
                f"STORE_URL's endpoint is in {store_region}, the functions in FC_REGION={region}: an internal "
                f"endpoint does not resolve across regions and the public one is billed; fix: use the "
                f"{region} endpoint of a store there, or set FC_REGION={store_region}",
            )
        ]
    return []


def fc_region_problems(schema: dict[str, Any], function: Function) -> list[tuple[str, str]]:
    """``region`` (FC_REGION) among fc3's regions, with the close ones when it is not."""
    node = schema.get("properties", {}).get("region", {})
    if "$ref" in node:
        node = schema.get("definitions", {}).get(node["$ref"].rsplit("/", 1)[-1], {})
    regions, region = node.get("enum") or [], function.props.get("region")
    if not regions or region in regions:
        return []
    hint = did_you_mean(str(region), regions)
    return [(function.resource, f"region {region!r} (FC_REGION) is not an FC region{hint}")]


def domain_problem(domain: str) -> str | None:
    """BAILIAN_FC_DOMAIN is a bare host name: no scheme, no path, no port."""
    if domain in ("", "auto") or is_fake(domain):
        return None
    bare = re.sub(r"^[a-z]+://", "", domain).split("/", 1)[0].split(":", 1)[0]
    if bare != domain or not _HOSTNAME.match(domain):
        fix = f"BAILIAN_FC_DOMAIN={bare}" if _HOSTNAME.match(bare) else "a host name such as ai.example.cn"
        return f"BAILIAN_FC_DOMAIN={domain!r} is not a bare host name (no scheme, path or port); fix: {fix}"
    return None


def covers(name: str, domain: str) -> bool:
    """RFC 6125 matching: exact, or a ``*.`` wildcard standing for exactly one left-most label."""
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    if name.startswith("*."):
        head, _, rest = domain.partition(".")
        return bool(head) and rest == name[2:]
    return name == domain


def certificate_problems(pem: str, key_pem: str, domain: str, now: dt.datetime | None = None) -> list[str]:
    """The leaf certificate covers ``domain``, is in date, and pairs with the private key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        return [f"certConfig.certificate (BAILIAN_FC_CERT_PEM) does not parse: {exc}"]
    leaf = chain[0]
    names = _names(leaf)
    found = []
    if domain and not is_fake(domain) and not any(covers(n, domain) for n in names):
        found.append(
            f"the certificate (BAILIAN_FC_CERT_PEM) is for {', '.join(names) or 'no DNS name'}, not "
            f"{domain}; fix: a certificate whose subjectAltName covers {domain}"
        )
    now = now or dt.datetime.now(dt.timezone.utc)
    if leaf.not_valid_after_utc <= now:
        found.append(f"the certificate (BAILIAN_FC_CERT_PEM) expired on {leaf.not_valid_after_utc:%Y-%m-%d}")
    if key_pem and not is_fake(key_pem):
        try:
            key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        except (ValueError, TypeError) as exc:
            return [*found, f"certConfig.privateKey (BAILIAN_FC_CERT_KEY_PEM) does not load: {exc}"]
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        if key.public_key().public_bytes(
            serialization.Encoding.DER, public
        ) != leaf.public_key().public_bytes(serialization.Encoding.DER, public):
            found.append(
                "BAILIAN_FC_CERT_KEY_PEM is not the private key of BAILIAN_FC_CERT_PEM's certificate"
            )
    return found


def _names(cert: Any) -> list[str]:
    from cryptography import x509

    try:
        return list(
            cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName
            )
        )
    except x509.ExtensionNotFound:  # no SAN: clients fall back to the CN (browsers do not)
        return [str(a.value) for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]


def check_settings(
    functions: Iterable[Function], needed: dict[str, set[str]], schema: dict[str, Any]
) -> list[str]:
    """Settings, app ids, FC region and store region of every function, each problem once."""
    found: list[tuple[str, str]] = []
    for function in functions:
        found += settings_problems(function)
        found += app_id_problems(function, needed.get(function.resource, set()))
        bad_region = fc_region_problems(schema, function)
        found += bad_region or region_problems(function)  # a store's region is compared to a real one
    return grouped(found)
