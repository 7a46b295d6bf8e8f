"""A local stand-in for FC 3.0's OpenAPI ``InvokeFunction`` that checks each request as FC would.

The signature is recomputed here from Alibaba Cloud's V3 (ACS3-HMAC-SHA256) rules, written out
independently of ``bailian_fc.jobs.fc_invoke`` so a mistake in one does not hide in both. A request that
fails a check gets FC-style 4xx JSON; an accepted one gets 202 and ``x-fc-request-id``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any


@dataclass
class FakeFC:
    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    answer: int = 202  # what an accepted request gets (tests set 403 / 500 to exercise the fallback)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    endpoint: str = ""

    def check(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> str | None:
        """Why FC would refuse this request, or None."""
        path, _, query = raw_path.partition("?")
        parts = path.split("/")
        if (
            method != "POST"
            or len(parts) != 5
            or parts[1] != "2023-03-30"
            or parts[2] != "functions"
            or parts[4] != "invocations"
        ):
            return f"not InvokeFunction: {method} {path}"
        need = {
            "x-acs-action": "InvokeFunction",
            "x-acs-version": "2023-03-30",
            "x-fc-invocation-type": "Async",
        }
        for name, value in need.items():
            if headers.get(name) != value:
                return f"{name} is {headers.get(name)!r}, not {value!r}"
        if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return "x-acs-content-sha256 does not match the body"
        sent = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=timezone.utc
        )
        if abs(datetime.now(timezone.utc) - sent) > timedelta(minutes=15):
            return "x-acs-date is more than 15 minutes off"
        if self.security_token and headers.get("x-acs-security-token") != self.security_token:
            return "x-acs-security-token missing or wrong"
        scheme, _, rest = headers.get("authorization", "").partition(" ")
        fields = dict(item.split("=", 1) for item in rest.split(",") if "=" in item)
        if scheme != "ACS3-HMAC-SHA256" or fields.get("Credential") != self.access_key_id:
            return "Authorization is not ACS3-HMAC-SHA256 with our access key id"
        signed = fields.get("SignedHeaders", "").split(";")
        must = {
            "host",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        }
        if not must <= set(signed) or signed != sorted(signed):
            return f"SignedHeaders {signed} lacks {sorted(must - set(signed))} or is unsorted"
        pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
        canonical = "\n".join(
            [
                method,
                urllib.parse.quote(path, safe="/-_.~"),
                "&".join(
                    f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                    for k, v in pairs
                ),
                "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed),
                ";".join(signed),
                hashlib.sha256(body).hexdigest(),
            ]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(self.access_key_secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        return None if hmac.compare_digest(expected, fields.get("Signature", "")) else "SignatureDoesNotMatch"

    def __enter__(self) -> FakeFC:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                why = fake.check("POST", self.path, headers, body)
                if why is not None:
                    fake.rejected.append(why)
                    self._answer(
                        403 if "Signature" in why or "Authorization" in why else 400,
                        {"Code": "InvalidRequest", "Message": why},
                    )
                    return
                if fake.answer >= 300:
                    self._answer(fake.answer, {"Code": "AccessDenied", "Message": "fc:InvokeFunction denied"})
                    return
                query = dict(urllib.parse.parse_qsl(self.path.partition("?")[2]))
                fake.accepted.append(
                    {
                        "function": self.path.split("?")[0].split("/")[3],
                        "qualifier": query.get("qualifier"),
                        "event": json.loads(body),
                    }
                )
                self._answer(202, None, {"x-fc-request-id": f"1-fake-{len(fake.accepted)}"})

            def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
