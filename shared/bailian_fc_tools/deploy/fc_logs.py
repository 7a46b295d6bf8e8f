"""``bailian-fc logs FUNCTION``: a deployed function's log lines from SLS, one readable line each.

Runs Serverless Devs' ``s <resource> logs`` (fc3; it needs the function's ``logConfig``, which s.yaml
sets to ``auto``, and ``s config add`` credentials) and rewrites what it prints: each line the
functions emit is a JSON object (``bailian_fc/logs.py``); an access line becomes
``time status method route latency site app cache upstream tokens request-id``, any other JSON line
``time LEVEL logger: message key=value…``, and anything else (FC's own lines) passes through.

* ``--since 10m`` (s, m, h, d) becomes ``-s <ISO start> -e <ISO end>`` (fc3's time format);
* ``--follow`` becomes ``--tail`` (fc3 polls every 1.5 s; it ignores times there);
* ``--request-id ID`` is passed on (fc3 filters history by it) and filtered here too (``--tail`` does not);
* ``--status 5xx`` (or ``4xx``, ``503``, ``4xx,5xx``) keeps access lines with that status only: SLS
  would need a field index for it, so the filter runs here;
* ``--qualifier live`` reads one version or alias (``bailian-fc release``); ``--search`` is SLS's keyword
  query; ``--dry-run`` prints the ``s`` command without running it; ``--raw`` prints lines unchanged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SINCE = re.compile(r"^(\d+)([smhd])$")
_STATUS = re.compile(r"^([1-5])(\d|x)(\d|x)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
ACCESS_LOGGER = "bailian_fc.access"  # bailian_fc.logs.ACCESS_LOGGER, not imported: tooling reads lines only
# Access-line fields shown positionally, in this order; the rest follow as key=value.
_ACCESS_SHOWN = ("ts", "level", "logger", "message", "request_id", "method", "route", "status", "latency_ms")


class LogsError(ValueError):
    """A command line this tool refuses (bad --since / --status, unknown function)."""


def parse_since(text: str) -> dt.timedelta:
    match = _SINCE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise LogsError(f"--since {text!r}: a positive number and a unit, e.g. 30s, 10m, 2h, 1d")
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def status_filter(text: str | None) -> Callable[[int], bool] | None:
    """``5xx`` / ``503`` / ``4xx,5xx`` as a predicate on a status code."""
    if not text:
        return None
    patterns = [p.strip().lower() for p in text.split(",") if p.strip()]
    for pattern in patterns:
        if not _STATUS.match(pattern):
            raise LogsError(f"--status {text!r}: codes or classes such as 503, 5xx, 4xx,5xx")

    def matches(status: int) -> bool:
        code = f"{status:03d}"
        return any(all(p in ("x", c) for p, c in zip(pattern, code, strict=True)) for pattern in patterns)

    return matches


@dataclass(frozen=True)
class Query:
    resource: str
    since: dt.timedelta = dt.timedelta(minutes=10)
    follow: bool = False
    request_id: str | None = None
    status: str | None = None
    search: str | None = None
    qualifier: str | None = None


def s_command(query: Query, now: dt.datetime, s_bin: str = "s") -> list[str]:
    """The ``s`` command line for ``query`` (fc3 ``logs``; flags as its help lists them)."""
    command = [s_bin, query.resource, "logs"]
    if query.follow:
        command.append("--tail")  # not -t: the global -t is the template
    else:
        start = (now - query.since).replace(microsecond=0)
        command += ["-s", start.isoformat(), "-e", now.replace(microsecond=0).isoformat()]
    if query.request_id and not query.follow:
        command += ["--request-id", query.request_id]
    if query.search:
        command += ["--search", query.search]
    if query.qualifier:
        command += ["--qualifier", query.qualifier]
    return command


def json_in(line: str) -> tuple[str, dict[str, Any]] | None:
    """``(prefix, object)`` when ``line`` holds one of the functions' JSON lines after s's own prefix
    (instance id and time)."""
    start = line.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(line, start)
    except ValueError:
        return None
    if not isinstance(value, dict) or "logger" not in value or "message" not in value:
        return None
    return line[:start].strip(), value


def _extras(entry: dict[str, Any], shown: Iterable[str]) -> str:
    skip = set(shown)
    return " ".join(
        f"{k}={v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)}"
        for k, v in entry.items()
        if k not in skip and v is not None
    )


def format_entry(entry: dict[str, Any]) -> str:
    """One of the functions' log objects as one readable line."""
    ts = str(entry.get("ts", ""))
    rid = entry.get("request_id")
    tail = f"  req={rid}" if rid else ""
    if entry.get("logger") == ACCESS_LOGGER and "status" in entry:
        latency = entry.get("latency_ms")
        took = f"{latency:.0f}ms" if isinstance(latency, (int, float)) else "?"
        head = f"{ts}  {entry['status']}  {entry.get('method', '?')} {entry.get('route', '?')}  {took}"
        rest = _extras(entry, _ACCESS_SHOWN)
        return f"{head}{'  ' + rest if rest else ''}{tail}"
    head = f"{ts}  {entry.get('level', '?')} {entry.get('logger', '?')}: {entry.get('message', '')}"
    rest = _extras(entry, ("ts", "level", "logger", "message", "request_id", "exc"))
    exc = f"\n    {str(entry['exc']).strip().replace(chr(10), chr(10) + '    ')}" if entry.get("exc") else ""
    return f"{head}{'  ' + rest if rest else ''}{tail}{exc}"


def format_lines(
    lines: Iterable[str],
    *,
    status: Callable[[int], bool] | None = None,
    request_id: str | None = None,
    raw: bool = False,
) -> Iterator[str]:
    """``s logs`` output → readable lines; with a filter, only the access/JSON lines that pass it."""
    for line in lines:
        text = _ANSI.sub("", line).rstrip("\n")
        if not text.strip():
            continue
        found = json_in(text)
        if found is None:
            if status is None and request_id is None:
                yield text
            continue
        prefix, entry = found
        if request_id is not None and entry.get("request_id") != request_id:
            continue
        if status is not None and not (isinstance(entry.get("status"), int) and status(entry["status"])):
            continue
        instance = prefix.split()[0] if prefix.split() and not prefix[0].isdigit() else ""
        shown = text if raw else format_entry(entry)
        yield f"{instance}  {shown}" if instance and not raw else shown


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "logs",
        help="print a deployed function's logs (s logs), one readable line per JSON log line",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("function", metavar="FUNCTION", help="an s.yaml resource: chat, apps, prewarm, admin")
    parser.add_argument("--since", default="10m", help="how far back (30s, 10m, 2h, 1d; default 10m)")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new lines (s logs --tail)")
    parser.add_argument("--request-id", default=None, help="only this request's lines")
    parser.add_argument(
        "--status", default=None, help="only access lines with this status: 503, 5xx, 4xx,5xx"
    )
    parser.add_argument("--search", default=None, help="SLS keyword query, passed to s logs")
    parser.add_argument("--qualifier", default=None, help="a version or alias (e.g. live)")
    parser.add_argument("--raw", action="store_true", help="print s's lines unchanged (filters still apply)")
    parser.add_argument("--dry-run", action="store_true", help="print the s command, run nothing")
    parser.add_argument("--s-bin", default="s", help="the Serverless Devs CLI (default: s on PATH)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from bailian_fc_tools.builder.build import project_root
    from bailian_fc_tools.builder.manifest import load_manifest

    root = project_root()
    try:
        functions = load_manifest(root / "s.yaml", strict=False).functions
        if args.function not in functions:
            raise LogsError(f"unknown function {args.function!r}; s.yaml has {', '.join(functions)}")
        query = Query(
            args.function,
            parse_since(args.since),
            args.follow,
            args.request_id,
            args.status,
            args.search,
            args.qualifier,
        )
        status = status_filter(args.status)
    except LogsError as exc:
        print(f"logs: {exc}", file=sys.stderr)
        return 2
    command = s_command(query, dt.datetime.now(dt.timezone.utc), args.s_bin)
    print(f"logs: {shlex.join(command)}", file=sys.stderr, flush=True)
    if args.dry_run:
        print(shlex.join(command))
        return 0
    if shutil.which(command[0]) is None:
        print(
            f"logs: {command[0]} not found: npm i -g @serverless-devs/s, then s config add", file=sys.stderr
        )
        return 127
    with subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True, errors="replace") as proc:
        assert proc.stdout is not None
        try:
            for line in format_lines(proc.stdout, status=status, request_id=args.request_id, raw=args.raw):
                print(line, flush=True)
        except KeyboardInterrupt:
            proc.terminate()
    return proc.returncode or 0
