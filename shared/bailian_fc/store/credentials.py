"""Alibaba Cloud credentials for the OSS and Tablestore adapters (no SDK imports here).

FC hands a function with a role an STS triple: ``context.credentials`` in the python3.10
runtime, and ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` / ``ALIBABA_CLOUD_SECURITY_TOKEN`` in
the environment of every runtime. Adapters accept either an object shaped like
``context.credentials``, a zero-argument callable returning one (read on every request, so
tokens FC rotates are picked up), or nothing (the environment).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

from .base import StoreError


class Credentials(Protocol):
    """The shape of FC's ``context.credentials`` (python3.10 runtime)."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None


CredentialsSource = Credentials | Callable[[], Credentials]


class EnvCredentials:
    def __init__(self, key_id: str, secret: str, token: str | None) -> None:
        self.access_key_id, self.access_key_secret, self.security_token = key_id, secret, token


def env_credentials(service: str) -> Credentials:
    key_id = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
    secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
    if not key_id or not secret:
        raise StoreError(
            f"no {service} credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET "
            "(and ALIBABA_CLOUD_SECURITY_TOKEN for STS), or pass credentials="
        )
    return EnvCredentials(key_id, secret, os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None)


def triple(credentials: Credentials, service: str) -> tuple[str, str, str]:
    """(key id, secret, token or "") after checking the object really holds keys."""
    try:
        key_id, secret = credentials.access_key_id, credentials.access_key_secret
    except AttributeError as exc:
        raise StoreError(
            f"{service} credentials need access_key_id and access_key_secret attributes"
        ) from exc
    if not key_id or not secret:
        raise StoreError(f"{service} credentials have an empty access_key_id or access_key_secret")
    return key_id, secret, getattr(credentials, "security_token", None) or ""
