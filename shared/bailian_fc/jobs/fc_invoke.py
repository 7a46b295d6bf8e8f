"""FC 3.0 OpenAPI ``InvokeFunction`` (asynchronous), signed with ACS3-HMAC-SHA256, stdlib only.

The admin function starts the prewarm function with it: ``POST /2023-03-30/functions/{name}/invocations``
with ``x-fc-invocation-type: Async`` answers 202 as soon as FC has queued the event, so "run now" starts
at once without waiting for the run. The admin function has no HTTP client dependency (and should
not grow an SDK for one call), hence urllib.

Signature V3 (ROA and RPC alike)::

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQueryString \\n CanonicalHeaders \\n
                       SignedHeaders \\n hex(sha256(body))
    CanonicalHeaders = "name:value\\n" for host, content-type and every x-acs-* header, names
                       lower-cased and sorted, values trimmed; SignedHeaders = their names joined by ";"
    StringToSign     = "ACS3-HMAC-SHA256\\n" + hex(sha256(CanonicalRequest))
    Authorization    = ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<...>,Signature=<hex hmac>

The credentials are the function role's STS triple FC injects (``ALIBABA_CLOUD_ACCESS_KEY_ID``,
``_SECRET``, ``_SECURITY_TOKEN``); the token goes out as ``x-acs-security-token`` (signed).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, urlsplit

API_VERSION = "2023-03-30"
ALGORITHM = "ACS3-HMAC-SHA256"
MAX_ASYNC_PAYLOAD = 128 * 1024  # FC's limit for an asynchronous invocation's body


class InvokeError(RuntimeError):
    """The invocation was not accepted (no endpoint or credentials, refused, unreachable)."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str
    security_token: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials | None:
        env = os.environ if env is None else env
        key, secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID"), env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        if not key or not secret:
            return None
        return cls(key, secret, env.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None)


def endpoint_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """``FC_OPENAPI_ENDPOINT``, else the region's FC3 endpoint from what the runtime sets."""
    env = os.environ if env is None else env
    if env.get("FC_OPENAPI_ENDPOINT"):
        return env["FC_OPENAPI_ENDPOINT"].rstrip("/")
    account, region = env.get("FC_ACCOUNT_ID"), env.get("FC_REGION")
    return f"https://{account}.{region}.fc.aliyuncs.com" if account and region else None


def canonical_request(
    method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], payload_hash: str
) -> tuple[str, str]:
    """(canonical request, signed header names) for the V3 signature."""
    signed = {
        k.lower(): " ".join(str(v).split())
        for k, v in headers.items()
        if k.lower() in ("host", "content-type") or k.lower().startswith("x-acs-")
    }
    names = sorted(signed)
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(str(query[k]), safe='-_.~')}" for k in sorted(query)
    )
    lines = [
        method.upper(),
        quote(path, safe="/-_.~"),
        canonical_query,
        "".join(f"{n}:{signed[n]}\n" for n in names),
        ";".join(names),
        payload_hash,
    ]
    return "\n".join(lines), ";".join(names)


def signed_headers(
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    credentials: Credentials,
    *,
    action: str,
    now: datetime | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """``headers`` plus the x-acs-* ones and the Authorization of a V3-signed request."""
    parts = urlsplit(url)
    payload_hash = hashlib.sha256(body).hexdigest()
    out = {
        **headers,
        "host": parts.netloc,
        "x-acs-action": action,
        "x-acs-version": API_VERSION,
        "x-acs-date": (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or secrets.token_hex(16),
        "x-acs-content-sha256": payload_hash,
    }
    if credentials.security_token:
        out["x-acs-security-token"] = credentials.security_token
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    canonical, names = canonical_request(method, parts.path or "/", query, out, payload_hash)
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(
        credentials.access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    out["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id},SignedHeaders={names},Signature={signature}"
    )
    return out


def invoke_async(
    endpoint: str,
    function_name: str,
    payload: bytes,
    credentials: Credentials,
    *,
    qualifier: str | None = None,
    timeout: float = 5.0,
) -> str:
    """Queue one asynchronous invocation of ``function_name`` (at ``qualifier``, a version or alias:
    InvokeFunction's own parameter; FC's default is LATEST); FC's request id. InvokeError otherwise."""
    if len(payload) > MAX_ASYNC_PAYLOAD:
        raise InvokeError(f"payload of {len(payload)} bytes is over FC's {MAX_ASYNC_PAYLOAD} for async calls")
    url = f"{endpoint}/{API_VERSION}/functions/{quote(function_name, safe='')}/invocations"
    if qualifier:
        url += f"?qualifier={quote(qualifier, safe='')}"  # signed with the rest (canonical query)
    headers = signed_headers(
        "POST",
        url,
        payload,
        {"content-type": "application/octet-stream", "x-fc-invocation-type": "Async"},
        credentials,
        action="InvokeFunction",
    )
    request = urllib.request.Request(
        url, data=payload, method="POST", headers={k: v for k, v in headers.items() if k != "host"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return str(response.headers.get("x-fc-request-id") or "")
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace")
        raise InvokeError(f"FC answered {exc.code} to InvokeFunction: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise InvokeError(f"FC endpoint {endpoint} unreachable: {exc}") from None
