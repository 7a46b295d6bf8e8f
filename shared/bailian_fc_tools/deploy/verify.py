"""``bailian-fc verify --base-url URL --token T``: the pending-verification checklist, P0–P3.

Runs against any running bundle (``bailian-fc dev`` or a deployed custom domain) with an
admin token, prints a table, and exits with the severity of the worst failure:
0 = all passed, 1 = a P3 failed, 2 = P2, 3 = P1, 4 = a P0 failed (bigger is worse, so a
deploy pipeline can gate on ``-ge 3``).

``--read-only`` (the default for any URL but loopback; ``--write`` to override) sends GETs only:
routes, auth, app ids, store reads, jobs, the DATA_URL login and the live clock. The write checks
(the default on loopback, or with ``--write``) change production: they stream and store one chat
turn (then delete it), fix the token's site clock for a few seconds (then reset it) and ask Bailian
anew for App2 and App6 (tokens spent, answers cached). Each is listed with ``skip`` when read-only.

It tells the truth about Bailian: every check that needs an answer forces a new one (``refresh``
or a fresh sandbox clock, whose answers are cached apart from live ones) and rejects ``stale``, so
a cached or stale answer never passes for a working upstream. P1 checks the app ids each function
needs: the apps function's single-turn apps (``GET /apps``), the chat function's own app by its
turn (``AppNotConfigured``), the prewarm function's by its last run.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bailian_fc.chat import events

CLOCK_CACHE_SECONDS = 5.0  # SandboxClock's default context cache in each function instance
ROLLOVER_DAYS_BACK = 3  # the rollover check walks the day start of a recent day that has data
NOT_CONFIGURED = ("AppNotConfigured", "UpstreamNotConfigured", "KeyNotConfigured")


class CheckFailed(AssertionError):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclass
class Result:
    priority: int
    name: str
    ok: bool
    detail: str
    skipped: bool = False


@dataclass(frozen=True)
class Check:
    priority: int
    name: str
    run: Callable[[], str]
    writes: bool = False  # changes the deployment (a stored turn, a site clock, Bailian calls)


LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_local(base_url: str) -> bool:
    """Loopback (``bailian-fc dev``): the write checks are the default there, read-only elsewhere."""
    return (httpx.URL(base_url).host or "") in LOOPBACK


class Verifier:
    def __init__(self, base_url: str, token: str, timeout: float = 60.0) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.auth = {"Authorization": f"Bearer {token}"}
        self.site = _token_site(token)

    def call(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, headers=self.auth if auth else {}, **kw)

    def json(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        resp = self.call(method, path, **kw)
        expect(resp.status_code == status, f"{method} {path} → {resp.status_code}: {resp.text[:200]}")
        return resp.json() if resp.content else None

    # -- P0: the bundle is up and locked ----------------------------------------------------------

    def functions_answer(self) -> str:
        self.json("GET", "/chat/conversations")
        self.json("GET", "/apps")
        self.json("GET", "/clock")
        self.json("GET", "/admin/triggers")
        return "chat, apps, clock and admin answer"

    def auth_enforced(self) -> str:
        for method, path in (("GET", "/chat/conversations"), ("GET", "/apps"), ("GET", "/admin/triggers")):
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                resp = self.http.request(method, path, headers=headers)
                expect(resp.status_code == 401, f"{path} without a valid token → {resp.status_code}")
        return "every function refuses missing and forged tokens"

    # -- P1: configured and storing ---------------------------------------------------------------

    def app_ids_configured(self) -> str:
        """The ids each function needs: the apps function serves the single-turn apps (``GET /apps``
        answers from its own settings; the chat app's id is the chat function's, not its); the
        prewarm function needs App2's and App2a's, which its last run reports."""
        apps = self.json("GET", "/apps")["apps"]
        single = [a for a in apps if a.get("mode") == "single"]
        missing = [f"{a['app_id_setting']} (apps function)" for a in single if not a["configured"]]
        resp = self.call("GET", "/admin/triggers/app2_prewarm")  # a token that may not see it: no verdict
        prewarm = (resp.json().get("last_run") or {}) if resp.status_code == 200 else {}
        stopped = str((prewarm.get("summary") or {}).get("error") or "")
        if stopped.startswith("stopped:") and "not set" in stopped:
            missing.append(f"prewarm function: {stopped}")
        expect(not missing, f"not configured: {', '.join(missing)}")
        return f"{len(single)} single-turn apps configured on apps; chat's own id is checked by its turn"

    def store_round_trips(self) -> str:
        resp = self.call("POST", "/chat/messages", json={"message": "verify: 你好"})
        code = _error_code(resp)
        expect(
            code not in NOT_CONFIGURED,
            f"chat function: {code} (BAILIAN_APP_ID_APP1_CHAT / DASHSCOPE_API_KEY on the chat function)",
        )
        expect(resp.status_code == 200, f"POST /chat/messages → {resp.status_code} {code or ''}".rstrip())
        try:
            stream = events.read_frames(resp.text)  # each frame validated by its model
        except ValueError as exc:
            raise CheckFailed(f"the chat stream does not fit its event schema: {exc}") from None
        first, last = (stream[0], stream[-1]) if stream else (None, None)
        expect(isinstance(first, events.Meta), f"the stream began with {first!r}")
        expect(isinstance(last, events.Done), f"the stream ended with {last!r}")
        assert isinstance(first, events.Meta)
        conversation = self.json("GET", f"/chat/conversations/{first.conversation_id}")
        expect(len(conversation["turns"]) == 1, "the stored conversation has no turn")
        self.json("DELETE", f"/chat/conversations/{first.conversation_id}", status=204)
        return "a chat turn was streamed, stored, read back and deleted"

    def store_reads(self) -> str:
        """The store answers reads for every function that has one: chat's conversations, admin's run logs."""
        conversations = self.json("GET", "/chat/conversations")
        expect(isinstance(conversations, dict), "GET /chat/conversations did not answer an object")
        self.json("GET", "/admin/runlogs")
        return "chat's conversations and admin's run logs read from the store (nothing written)"

    def live_clock(self) -> str:
        """``/clock`` is live (no sandbox left behind) and its business date follows its zone and day start."""
        clock = self.json("GET", "/clock")
        expect(
            clock["sandbox"] is False, f"a sandbox clock is set: now={clock['now']} (reset it in the console)"
        )
        hours, minutes = (int(part) for part in clock["day_start"].split(":"))
        local = dt.datetime.fromisoformat(clock["now"]).astimezone(ZoneInfo(clock["tz"]))
        expected = (local - dt.timedelta(hours=hours, minutes=minutes)).date()
        expect(
            clock["business_date"] == expected.isoformat(),
            f"/clock says business date {clock['business_date']} at {local:%Y-%m-%d %H:%M} {clock['tz']}"
            f" with day start {clock['day_start']}; expected {expected}",
        )
        return f"live clock, business date {expected} ({clock['tz']}, day starts {clock['day_start']})"

    def jobs_scheduled(self) -> str:
        jobs = self.json("GET", "/admin/triggers")["jobs"]
        expect(bool(jobs), "no trigger jobs")
        enabled = [j for j in jobs if j["enabled"]]
        expect(all(j["next_fire_times"] for j in enabled), "an enabled job has no next fire time")
        return (
            f"{len(jobs)} jobs, next: {enabled[0]['name']} at {enabled[0]['next_fire_times'][0]}"
            if enabled
            else f"{len(jobs)} jobs, none enabled"
        )

    # -- P2: the sandbox clock reaches the data bound -----------------------------------------------

    def set_site_clock(self, fixed: dt.datetime) -> Any:
        """Fix the token's site clock at ``fixed`` (not global: a site admin may, and other venues
        are not touched); the ``/clock`` that shows it."""
        body = {
            "mode": "fixed",
            "fixed_at": fixed.isoformat(),
            "scope": "site",
            "site_id": self.site,
            "ttl_seconds": 300,
            "reason": "bailian-fc verify",
        }
        self.json("PUT", "/admin/runtime-context", json=body)
        at = fixed.astimezone(dt.timezone.utc).isoformat()
        return self.wait_for_clock(lambda c: c["sandbox"] is True and c["now"] == at, f"sandbox at {at}")

    def reset_site_clock(self) -> None:
        self.call("DELETE", "/admin/runtime-context", params={"scope": "site", "site_id": self.site})
        self.wait_for_clock(lambda c: c["sandbox"] is False, "no sandbox")

    def app2_today(self, *, refresh: bool) -> Any:
        """App2 for today; a stale answer (Bailian failed, an old entry was served) fails the check."""
        params = {"refresh": "true"} if refresh else {}
        answer = self.json("POST", "/apps/app2_finance", params=params, json={"range": "today"})
        expect(not answer.get("stale"), "App2 answered stale: Bailian failed and an old answer was served")
        return answer

    def sandbox_clock(self) -> str:
        fixed = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)).replace(microsecond=0)
        try:
            clock = self.set_site_clock(fixed)
            answer = self.app2_today(refresh=True)
            bound = (answer.get("meta") or {}).get("business_date")
            expect(
                bound == clock["business_date"],
                f"App2 read up to {bound}, the clock says {clock['business_date']}",
            )
        finally:
            self.reset_site_clock()
        return f"sandbox {clock['business_date']} seen by /clock and App2 (asked anew), then reset"

    def business_day_rollover(self) -> str:
        """The sandbox clock walked across the day start (−30 s → +30 s): App2's business date follows,
        and the answer from before the day start is not served after it."""
        live = self.json("GET", "/clock")
        hours, minutes = (int(part) for part in live["day_start"].split(":"))
        day = dt.date.fromisoformat(live["business_date"]) - dt.timedelta(days=ROLLOVER_DAYS_BACK)
        start = dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=ZoneInfo(live["tz"]))
        walk = (
            (start - dt.timedelta(seconds=30), day - dt.timedelta(days=1)),
            (start + dt.timedelta(seconds=30), day),
        )
        try:
            for at, expected in walk:
                clock = self.set_site_clock(at)
                expect(
                    clock["business_date"] == expected.isoformat(),
                    f"/clock at {at:%H:%M:%S} says {clock['business_date']}, expected {expected}",
                )
                # No refresh: after the day start the cache must not carry the previous day's answer over.
                bound = (self.app2_today(refresh=False).get("meta") or {}).get("business_date")
                expect(
                    bound == expected.isoformat(),
                    f"at {at:%H:%M:%S} {live['tz']} App2 answered for {bound}, the business day is {expected}",
                )
        finally:
            self.reset_site_clock()
        return f"{live['day_start']} day start: App2 answered {day - dt.timedelta(days=1)}, then {day}"

    def wait_for_clock(
        self, ok: Callable[[Any], bool], wanted: str, within: float = CLOCK_CACHE_SECONDS + 3
    ) -> Any:
        """GET /clock until ``ok`` accepts it: instances cache runtime contexts briefly."""
        deadline = time.monotonic() + within
        while True:
            clock = self.json("GET", "/clock")
            if ok(clock):
                return clock
            expect(
                time.monotonic() < deadline,
                f"GET /clock still says now={clock['now']} sandbox={clock['sandbox']} after {within:g}s "
                f"(wanted {wanted})",
            )
            time.sleep(0.5)

    # -- P3: an app answers and caches --------------------------------------------------------------

    def app_answers_and_caches(self) -> str:
        body = {"note": "verify：王先生想周六下午订两个包厢。"}
        # Asked anew: an answer cached by an earlier run says nothing about Bailian now.
        first = self.json("POST", "/apps/app6_note_analysis", params={"refresh": "true"}, json=body)
        expect(not first["stale"], "app6 answered stale: Bailian failed and an old answer was served")
        expect(first["cached"] is False, "app6 with refresh=true was served from the cache")
        second = self.json("POST", "/apps/app6_note_analysis", json=body)
        expect(
            second["cached"] is True and second["result"] == first["result"], "the repeat was not a cache hit"
        )
        return "app6 answered anew, the repeat came from the cache"

    # -- P1: the venue data login is subject to RLS -------------------------------------------------

    def data_login(self) -> str:
        """The apps function's verdict on its ``DATA_URL`` login (``data_login`` in ``GET /clock``,
        which connects and checks when that instance has not yet)."""
        verdict = self.json("GET", "/clock").get("data_login")
        expect(verdict is not None, "GET /clock has no data_login: the apps function predates the check")
        expect(
            verdict != "refused",
            "the DATA_URL login bypasses row-level security (superuser, BYPASSRLS or the tables' owner):"
            " venue reads answer 503 DataLoginUnsafe; the function log names the reason",
        )
        expect(verdict != "unreachable", "the apps function cannot reach the venue database (DATA_URL)")
        return (
            "embedded dataset (no DATA_URL)" if verdict == "embedded" else "DATA_URL login is subject to RLS"
        )

    def checks(self) -> list[Check]:
        return [
            Check(0, "functions answer", self.functions_answer),
            Check(0, "auth enforced", self.auth_enforced),
            Check(1, "app ids configured", self.app_ids_configured),
            Check(1, "store reads", self.store_reads),
            Check(1, "store round-trips", self.store_round_trips, writes=True),
            Check(1, "DATA_URL login subject to RLS", self.data_login),
            Check(1, "jobs have next fire times", self.jobs_scheduled),
            Check(2, "live clock", self.live_clock),
            Check(2, "sandbox clock reaches App2", self.sandbox_clock, writes=True),
            Check(2, "business day rolls over", self.business_day_rollover, writes=True),
            Check(3, "app answers and caches", self.app_answers_and_caches, writes=True),
        ]

    def run(self, report: Callable[[Result], None] | None = None, *, write: bool = True) -> list[Result]:
        """Every check in order (``write=False``: the ones that write are skipped); ``report`` sees each
        result as soon as it is known."""
        results = []
        for check in self.checks():
            if check.writes and not write:
                result = Result(
                    check.priority, check.name, True, "read-only: not run (--write runs it)", True
                )
            else:
                result = self._one(check)
            results.append(result)
            if report is not None:
                report(result)
        return results

    def _one(self, check: Check) -> Result:
        try:
            return Result(check.priority, check.name, True, check.run())
        except (CheckFailed, httpx.HTTPError, KeyError, ValueError, IndexError) as exc:
            detail = f"{type(exc).__name__}: {exc}"
            if " → 403" in detail:
                detail += " (is --token an admin token? `bailian-fc token --role admin`)"
            return Result(check.priority, check.name, False, detail)


def _error_code(resp: httpx.Response) -> str | None:
    """The ``error.code`` of a JSON error answer, else None."""
    if resp.status_code < 400:
        return None
    try:
        body = resp.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code")) if isinstance(error, dict) else None


def _token_site(token: str) -> str | None:
    """The ``site_id`` claim, read without verifying (the functions verify it; this only aims the checks)."""
    try:
        body = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return claims.get("site_id") if isinstance(claims, dict) else None
    except (IndexError, ValueError):
        return None


def exit_code(results: list[Result]) -> int:
    failed = [r.priority for r in results if not r.ok and not r.skipped]
    return 4 - min(failed) if failed else 0


def row(result: Result, width: int) -> str:
    return f"P{result.priority:<3} {result.name:<{width}}  {_status(result):<6}  {result.detail}"


def _status(result: Result) -> str:
    return "skip" if result.skipped else "ok" if result.ok else "FAIL"


def table(results: list[Result]) -> str:
    width = max(len(r.name) for r in results)
    return "\n".join([f"{'pri':<4} {'check':<{width}}  result  detail", *(row(r, width) for r in results)])


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "verify",
        help="run the P0–P3 smoke checks against a running bundle (exit code = worst failed priority)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:9000 or https://your.domain")
    parser.add_argument("--token", required=True, help="an admin token (bailian-fc token --role admin)")
    parser.add_argument("--timeout", type=float, default=60.0)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--read-only",
        dest="write",
        action="store_false",
        default=None,
        help="GETs only (the default for any URL but loopback)",
    )
    mode.add_argument(
        "--write",
        dest="write",
        action="store_true",
        help="also the checks that write: a chat turn (deleted after), the site clock (reset after), "
        "Bailian calls for App2 and App6 (the default on loopback)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    write = is_local(args.base_url) if args.write is None else args.write
    print(
        f"verify: {args.base_url} with an ADMIN token (bailian-fc token --role admin, or the admin token "
        "`bailian-fc dev` prints); a non-admin token fails P0 with 403",
        file=sys.stderr,
        flush=True,
    )
    print(
        "verify: "
        + (
            "WRITE checks on: stores and deletes a chat turn, moves the site clock, spends Bailian tokens"
            if write
            else "read-only: GETs only (--write adds the chat turn, site clock and Bailian checks)"
        ),
        file=sys.stderr,
        flush=True,
    )
    verifier = Verifier(args.base_url, args.token, args.timeout)
    width = max(len(check.name) for check in verifier.checks())
    print(f"{'pri':<4} {'check':<{width}}  result  detail", flush=True)
    results = verifier.run(lambda r: print(row(r, width), flush=True), write=write)
    code = exit_code(results)
    print(f"\n{'all checks passed' if code == 0 else f'failed: worst is P{4 - code}'}", file=sys.stderr)
    return code
