"""``bailian-fc invoke FUNCTION --event FILE|JSON``: one FC invocation in a fresh Python process.

A fresh process because a cold start is what FC runs first, and import-time bugs only show in a
clean interpreter. The handler gets the event as FC gives ``python3.10`` one: the file's raw
**bytes** (after ``${TOKEN}`` substitution), never a parsed dict.

* Built-in runtimes (apps, prewarm, admin): the child puts ``functions/<name>`` and ``shared/`` on
  ``sys.path`` (``--built``: ``build/<name>/python`` and ``build/<name>``, as FC's
  ``PYTHONPATH=/code/python:/code``), calls ``initialize(context)`` when s.yaml configures an
  initializer, then ``handler(event, context)``. ``context`` has the python3.10 shape: ``request_id,
  region, account_id, function{name, handler, memory, timeout}, credentials{access_key_id,
  access_key_secret, security_token}`` (from ``ALIBABA_CLOUD_*``), ``service{name, log_project,
  log_store}``. An exception prints FC's ``{"errorMessage", "errorType", "stackTrace"}``, exit 1;
  a timeout exits 124.
* Custom runtime (chat): the function's own command on a free port. An FC3 HTTP-trigger-shaped
  event is replayed as that HTTP request (FC passes HTTP through to a web function); any other is
  ``POST /invoke`` with the raw bytes (the contract for API and timer calls). 5xx or
  ``x-fc-status: 404`` exits 1.

``${TOKEN}`` becomes a fresh token (role ``--role``, default admin), signed with ``AUTH_JWT_SECRET``
or, when unset, the dev secret of ``.bailian-data/`` (which the child then gets too). ``--emulator``
starts the bundled emulator and sets every ``BAILIAN_APP_ID_<KEY>`` to ``emu-<key>`` (invoke_env.py).
Exit 0; 1 on an unhandled exception or a 5xx; 3 when the handler returned but a job it ran failed.
The child's output goes to stderr, the result to stdout. The cwd stays the caller's, so
``STORE_URL=file://.bailian-data`` is the store ``bailian-fc dev`` uses.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bailian_fc_tools.builder.build import BUILD_INFO, project_root
from bailian_fc_tools.builder.manifest import Function, load_manifest
from bailian_fc_tools.builder.slim import find_interpreter
from bailian_fc_tools.local.invoke_child import CHILD
from bailian_fc_tools.local.invoke_env import JOB_FAILED_EXIT, failed_jobs, invoke_env

TIMEOUT_EXIT = 124


@dataclass
class Outcome:
    """What one invocation gave; times are epoch seconds (``spawned_at`` = before the fork)."""

    ok: bool
    spawned_at: float
    done_at: float | None = None
    first_byte_at: float | None = None
    result: Any = None  # {"json"|"text"|"bytes": ...} for event functions, HTTP parts for web ones
    error: dict[str, Any] | None = None
    phase: str = ""
    status: int | None = None
    modules: list[str] = field(default_factory=list)
    timed_out: bool = False


def request_id() -> str:
    """An id shaped like FC3's (``1-<hex time>-<hex>-<hex>``)."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(4)}-{secrets.token_hex(6)}"


def fc_context(function: Function, project: str) -> dict[str, Any]:
    props = function.props
    lifecycle = props.get("instanceLifecycleConfig") or {}
    log: dict[str, Any] = props["logConfig"] if isinstance(props.get("logConfig"), dict) else {}
    env = os.environ
    handler = function.handler or " ".join(props.get("customRuntimeConfig", {}).get("command", []))
    return {
        "request_id": request_id(),
        "region": props.get("region", "cn-hangzhou"),
        "account_id": env.get("ALIBABA_CLOUD_ACCOUNT_ID") or env.get("FC_ACCOUNT_ID", "0000000000000000"),
        "function": {
            "name": function.name,
            "handler": handler,
            "memory": int(props.get("memorySize", 512)),
            "timeout": int(props.get("timeout", 3)),
        },
        "credentials": {
            "access_key_id": env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
            "access_key_secret": env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
            "security_token": env.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
        },
        "service": {
            "name": project,
            "log_project": log.get("project", ""),
            "log_store": log.get("logstore", ""),
        },
        "initializer": (lifecycle.get("initializer") or {}).get("handler"),
    }


def fc_env(
    function: Function, context: dict[str, Any], code_dir: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The process environment: the caller's plus ``extra``, and the FC_* variables the runtime sets."""
    fc = {
        "FC_FUNCTION_NAME": function.name,
        "FC_FUNCTION_HANDLER": context["function"]["handler"],
        "FC_FUNCTION_MEMORY_SIZE": str(context["function"]["memory"]),
        "FC_TIMEOUT": str(context["function"]["timeout"]),
        "FC_REGION": context["region"],
        "FC_ACCOUNT_ID": context["account_id"],
        "FC_RUNTIME": function.runtime,
        "FC_FUNC_CODE_PATH": f"{code_dir}/",
        "FC_INSTANCE_ID": f"local-{secrets.token_hex(6)}",
    }
    return {**fc, **os.environ, **(extra or {}), "PYTHONUNBUFFERED": "1"}


def with_token(event: bytes, role: str, site: str, secret: str | None = None) -> bytes:
    """Replace ``${TOKEN}`` with a fresh JWT signed with ``secret`` (default: ``AUTH_JWT_SECRET``); an admin
    token is a platform admin (any site, cross-site routes), like the one ``dev`` prints."""
    secret = secret or os.environ.get("AUTH_JWT_SECRET")
    if b"${TOKEN}" not in event or not secret:
        return event
    from bailian_fc.auth import Authenticator

    auth = Authenticator(
        secret, os.environ.get("AUTH_ISSUER", "bailian-fc"), os.environ.get("AUTH_AUDIENCE", "bailian-fc")
    )
    token = auth.mint("bailian-fc-invoke", site, role, ttl_seconds=3600, platform=role == "admin")
    return event.replace(b"${TOKEN}", token.encode())


def read_event(value: str) -> bytes:
    path = Path(value)
    if path.is_file():
        return path.read_bytes()
    try:
        json.loads(value)
    except ValueError:
        raise SystemExit(f"invoke: --event {value!r} is neither a file nor JSON") from None
    return value.encode()


def code_paths(function: Function, root: Path, built: Path | None) -> tuple[Path, list[Path]]:
    """(code dir, sys.path entries): the source tree, or a ``bailian-fc build`` output dir."""
    if built is None:
        return root / function.source_dir, [root / function.source_dir, root / "shared"]
    code = built / function.resource
    if not (code / BUILD_INFO).is_file():
        raise SystemExit(f"invoke: {code} is not a build output; run `bailian-fc build {function.resource}`")
    return code, [code / "python", code]


def interpreter_for(code: Path, built: bool) -> str:
    if not built:
        return sys.executable
    version = json.loads((code / BUILD_INFO).read_text())["python_version"]
    found = find_interpreter(version)
    if found is None:
        print(
            f"invoke: warning: no python{version} here; compiled wheels of the build may not import",
            file=sys.stderr,
        )
    return found or sys.executable


def run_event(
    function: Function,
    root: Path,
    event: bytes,
    *,
    project: str = "bailian-fc",
    built: Path | None = None,
    timeout: float | None = None,
    watch: tuple[str, ...] = (),
    quiet: bool = False,
    output: Any = None,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Run a built-in runtime's handler once, in a fresh interpreter."""
    code, paths = code_paths(function, root, built)
    ctx = fc_context(function, project)
    timeout = timeout or ctx["function"]["timeout"] + 10
    with tempfile.TemporaryDirectory(prefix="bailian-invoke-") as tmp:
        event_file, result_file = Path(tmp, "event"), Path(tmp, "result.json")
        event_file.write_bytes(event)
        spec = {
            "paths": [str(p) for p in paths],
            "context": ctx,
            "event_file": str(event_file),
            "result_file": str(result_file),
            "handler": function.handler,
            "initializer": ctx.pop("initializer"),
            "watch": list(watch),
        }
        sink = output or (subprocess.DEVNULL if quiet else sys.stderr)
        log(quiet, f"FC Invoke Start RequestId: {ctx['request_id']}")
        interpreter = interpreter_for(code, built is not None)  # resolved before the clock starts
        spawned = time.time()
        proc = subprocess.Popen(
            [interpreter, "-I", "-c", CHILD, json.dumps(spec)],
            env=fc_env(function, ctx, code, env),
            stdout=sink,
            stderr=sink,
        )
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return Outcome(
                False,
                spawned,
                timed_out=True,
                error={
                    "errorMessage": f"Function timed out after {timeout:g} seconds",
                    "errorType": "FunctionTimeout",
                },
            )
        finally:
            log(quiet, f"FC Invoke End RequestId: {ctx['request_id']}")
        if not result_file.exists():
            return Outcome(
                False,
                spawned,
                error={
                    "errorMessage": f"the process died (exit {proc.returncode})",
                    "errorType": "ProcessExited",
                },
            )
        out = json.loads(result_file.read_text())
    return Outcome(
        out.get("ok", False),
        spawned,
        out.get("done_at"),
        result=out.get("result"),
        error=out.get("error"),
        phase=out.get("phase", ""),
        modules=out.get("modules", []),
    )


def log(quiet: bool, line: str) -> None:
    if not quiet:
        print(line, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http_request(event: bytes) -> tuple[str, str, dict[str, str], bytes] | None:
    """(method, target, headers, body) when ``event`` is an FC3 HTTP-trigger event, else None."""
    try:
        data = json.loads(event)
    except ValueError:
        return None
    if not isinstance(data, dict) or "requestContext" not in data or "rawPath" not in data:
        return None
    from urllib.parse import urlencode

    query = urlencode(data.get("queryParameters") or {})
    body = data.get("body") or ""
    raw = base64.b64decode(body) if data.get("isBase64Encoded") else body.encode()
    headers = {
        k: v for k, v in (data.get("headers") or {}).items() if k.lower() not in ("host", "content-length")
    }
    return (
        data["requestContext"]["http"]["method"],
        data["rawPath"] + (f"?{query}" if query else ""),
        headers,
        raw,
    )


def run_web(
    function: Function,
    root: Path,
    event: bytes,
    *,
    project: str = "bailian-fc",
    built: Path | None = None,
    timeout: float | None = None,
    quiet: bool = False,
    stream: Any = None,
    output: Any = None,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Start a custom-runtime function's server on a free port and hand it one event."""
    code, paths = code_paths(function, root, built)
    ctx = fc_context(function, project)
    config = function.props.get("customRuntimeConfig") or {}
    argv = [*config.get("command", []), *config.get("args", [])]
    argv = [str(code / a) if (code / a).is_file() else a for a in argv]
    if argv and "python" in Path(argv[0]).name:
        argv[0] = interpreter_for(code, built is not None)
    port = free_port()
    env = {
        **fc_env(function, ctx, code, env),
        "FC_CUSTOM_LISTEN_PORT": str(port),
        "HOST": "127.0.0.1",
        "PYTHONPATH": os.pathsep.join(str(p) for p in paths),
    }
    sink = output or (subprocess.DEVNULL if quiet else sys.stderr)
    log(quiet, f"FC Invoke Start RequestId: {ctx['request_id']}")
    spawned = time.time()
    proc = subprocess.Popen(argv, env=env, stdout=sink, stderr=sink)
    outcome = Outcome(False, spawned)
    try:
        deadline = time.monotonic() + (timeout or 30)
        while True:
            if proc.poll() is not None:
                outcome.error = {
                    "errorMessage": f"{argv} exited {proc.returncode} before listening",
                    "errorType": "ProcessExited",
                }
                return outcome
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    outcome.timed_out, outcome.error = (
                        True,
                        {"errorType": "FunctionTimeout", "errorMessage": f"port {port} never opened"},
                    )
                    return outcome
                time.sleep(0.01)
        passthrough = _http_request(event)
        fc_headers = {
            "x-fc-request-id": ctx["request_id"],
            "x-fc-function-name": function.name,
            "x-fc-function-memory": str(ctx["function"]["memory"]),
            "x-fc-region": ctx["region"],
            "x-fc-account-id": ctx["account_id"],
        }
        method, target, headers, body = passthrough or (
            "POST",
            "/invoke",
            {"Content-Type": "application/octet-stream", "x-fc-control-path": "/invoke"},
            event,
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ctx["function"]["timeout"])
        conn.request(method, target, body=body, headers={**headers, **fc_headers})
        response = conn.getresponse()
        chunks = []
        while chunk := response.read1(65536):
            outcome.first_byte_at = outcome.first_byte_at or time.time()
            chunks.append(chunk)
            if stream is not None:
                stream.write(chunk)
                stream.flush()
        outcome.done_at = time.time()
        outcome.status = response.status
        outcome.result = {
            "status": response.status,
            "headers": dict(response.getheaders()),
            "body": b"".join(chunks).decode("utf-8", "replace"),
        }
        outcome.ok = response.status < 500 and response.getheader("x-fc-status") != "404"
        return outcome
    finally:
        log(quiet, f"FC Invoke End RequestId: {ctx['request_id']}")
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _decoded(body: str, is_b64: bool) -> Any:
    text = base64.b64decode(body).decode("utf-8", "replace") if is_b64 else body
    try:
        return json.loads(text)
    except ValueError:
        return text


def render(outcome: Outcome) -> str:
    """Pretty JSON for dicts; an FC HTTP response with its body decoded; text as it is."""
    if outcome.error is not None:
        return json.dumps(outcome.error, indent=2, ensure_ascii=False)
    result = outcome.result or {}
    if "status" in result:  # custom runtime
        return json.dumps(
            {
                "statusCode": result["status"],
                "headers": result["headers"],
                "body": _decoded(result["body"], False),
            },
            indent=2,
            ensure_ascii=False,
        )
    if "json" in result:
        value = result["json"]
        if isinstance(value, dict) and "statusCode" in value and isinstance(value.get("body"), str):
            value = {**value, "body": _decoded(value["body"], bool(value.get("isBase64Encoded")))}
        return json.dumps(value, indent=2, ensure_ascii=False)
    if "bytes" in result:
        raw = base64.b64decode(result["bytes"])
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return f"<{len(raw)} bytes, base64> {result['bytes']}"
    return result.get("text") or ""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "invoke",
        help="run one function with an FC event in a fresh process",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("function", help="s.yaml resource: chat, apps, prewarm or admin")
    parser.add_argument("--event", required=True, help="event file (events/*.json) or inline JSON")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds (default: the function's timeout)"
    )
    parser.add_argument(
        "--built",
        nargs="?",
        const="build",
        default=None,
        metavar="DIR",
        help="run the code dir of `bailian-fc build` (default DIR: build)",
    )
    parser.add_argument("--role", default="admin", help="role of the ${TOKEN} minted (default admin)")
    parser.add_argument("--site", default="site-001", help="site of the ${TOKEN} minted")
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="start the bundled Bailian emulator; every BAILIAN_APP_ID_<KEY> becomes emu-<key>",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    root = project_root()
    manifest = load_manifest(root / "s.yaml", strict=False)
    function = manifest.functions.get(args.function)
    if function is None:
        print(
            f"invoke: no function {args.function!r}; s.yaml has {', '.join(manifest.functions)}",
            file=sys.stderr,
        )
        return 2
    raw = read_event(args.event)
    with invoke_env(args.emulator) as env:
        event = with_token(raw, args.role, args.site, env["AUTH_JWT_SECRET"])
        return _invoke(function, root, event, args, str(manifest.raw.get("name", "bailian-fc")), env)


def _invoke(
    function: Function, root: Path, event: bytes, args: argparse.Namespace, project: str, env: dict[str, str]
) -> int:
    built = (root / args.built).resolve() if args.built else None
    if function.is_web:  # the body streams to stdout as it comes (SSE); status and headers go to stderr
        outcome = run_web(
            function,
            root,
            event,
            project=project,
            built=built,
            timeout=args.timeout,
            stream=sys.stdout.buffer,
            env=env,
        )
        if outcome.result:
            print(f"\nHTTP {outcome.status} {json.dumps(outcome.result['headers'])}", file=sys.stderr)
        else:
            print(render(outcome))
    else:
        outcome = run_event(
            function, root, event, project=project, built=built, timeout=args.timeout, env=env
        )
        print(render(outcome))
        if outcome.error and outcome.phase:
            print(f"invoke: unhandled exception during {outcome.phase}", file=sys.stderr)
    if outcome.timed_out:
        return TIMEOUT_EXIT
    if not outcome.ok:
        return 1
    failed = failed_jobs((outcome.result or {}).get("json"))
    for line in failed:
        print(f"invoke: job failed: {line}", file=sys.stderr)
    return JOB_FAILED_EXIT if failed else 0
