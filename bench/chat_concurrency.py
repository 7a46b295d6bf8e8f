"""N concurrent chats through the chat function vs a thread-per-stream baseline; prints JSON.

Upstream: the bundled emulator in its own process, first chunk after 200 ms, then 20
chunks 50 ms apart. Each server under test runs in its own process (fresh per N, so
peak RSS is per N). TTFB = request sent → first ``delta`` frame received.

    python bench/chat_concurrency.py [--n 1 50 200]
    python bench/chat_concurrency.py --baseline-tree /tmp/base [--rounds 3]

With ``--baseline-tree`` (a git worktree of an earlier commit, run in its own venv: _trees.py) it
prints instead, for both trees, paired and alternating: 200 concurrent chats (TTFB p50/p99),
100 chats on the file store and on ``oss://`` (the repo's OSS-protocol server; TTFB p50 and the
server's CPU per turn), and the store operations of a new-conversation turn and of a follow-up
(counted by ``store/counting.py``: operations, writes and serial round trips, before ``meta`` and
in all).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time

import _trees
import httpx
from _common import child, free_port, median, peak_rss_mb, percentile

sys.path.insert(
    0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "shared")
)  # this repo's package dir
from bailian_fc.auth import Authenticator

APP_ID = "emu-app1_chat"
SECRET = "bench-secret-0123456789abcdefghijklmnop"
PACING = {"first_chunk_delay": 0.2, "chunks": 20, "chunk_delay": 0.05}


async def one_chat(port: int, token: str, i: int) -> tuple[float, float]:
    """One chat over a raw socket: a Python HTTP client would cost more CPU than the server under test."""
    body = json.dumps({"message": f"第{i}桌的台费怎么算？"}).encode()
    request = (
        f"POST /chat/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request.encode() + body)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.decode(errors="replace"))
    ttfb = None
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        data = await reader.readexactly(size + 2)
        if size == 0:
            break
        if ttfb is None and b"event: delta" in data:
            ttfb = time.perf_counter() - started
    writer.close()
    return (ttfb if ttfb is not None else float("nan")), time.perf_counter() - started


async def run_round(base: str, n: int, token: str | list[str]) -> dict[str, float]:
    """``token``: one for every chat, or one per chat (each user under the per-day conversation cap)."""
    port = int(base.rsplit(":", 1)[1])
    tokens = token if isinstance(token, list) else [token] * (n + 1)
    await one_chat(port, tokens[-1], -1)  # warm the server's upstream pool
    results = await asyncio.gather(*(one_chat(port, tokens[i], i) for i in range(n)))
    ttfbs = [r[0] * 1000 for r in results]
    totals = [r[1] * 1000 for r in results]
    return {
        "ttfb_p50_ms": round(percentile(ttfbs, 50), 1),
        "ttfb_p99_ms": round(percentile(ttfbs, 99), 1),
        "total_p50_ms": round(median(totals), 1),
    }


async def upstream_floor(emu_port: int, n: int) -> dict[str, float]:
    """The same N streams straight to the emulator: what no server in between could beat."""
    body = json.dumps({"input": {"prompt": "x"}, "parameters": {"incremental_output": True}}).encode()
    head = (
        f"POST /api/v1/apps/{APP_ID}/completion HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer b\r\n"
        f"X-DashScope-SSE: enable\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()

    async def one() -> float:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", emu_port)
        writer.write(head + body)
        await reader.readuntil(b"\r\n\r\n")
        await reader.readuntil(b"\r\n")
        ttfb = time.perf_counter() - started
        writer.close()
        return ttfb * 1000

    ttfbs = await asyncio.gather(*(one() for _ in range(n)))
    return {"ttfb_p50_ms": round(percentile(ttfbs, 50), 1), "ttfb_p99_ms": round(percentile(ttfbs, 99), 1)}


def measure(kind: str, n: int, emulator_base: str, store_dir: str) -> dict[str, float]:
    port = free_port()
    env = {
        "DASHSCOPE_API_KEY": "bench",
        "DASHSCOPE_BASE_URL": emulator_base,
        "BAILIAN_APP_ID_APP1_CHAT": APP_ID,
        "AUTH_JWT_SECRET": SECRET,
        "STORE_URL": f"file://{store_dir}/{kind}-{n}",
        "PORT": str(port),
        "FC_CUSTOM_LISTEN_PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "warning",
    }
    script = "functions/chat/server.py" if kind == "bailian_fc" else "bench/_thread_baseline.py"
    token = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("bench", "site-001", "staff")
    with child([script], f"http://127.0.0.1:{port}/invoke", env=env) as proc:
        httpx.post(f"{emulator_base.rsplit('/api/', 1)[0]}/_emulator/default", json={"behaviour": PACING})
        result = asyncio.run(run_round(f"http://127.0.0.1:{port}", n, token))
        result["peak_rss_mb"] = peak_rss_mb(proc.pid)
    return result


def tree_figures(
    tree: _trees.Tree, emulator_base: str, oss_endpoint: str, store_dir: str, r: int
) -> dict[str, object]:
    """One round of the issue's table for one tree: fresh servers, fresh store prefixes."""
    auth = Authenticator(SECRET, "bailian-fc", "bailian-fc")
    users = [auth.mint(f"bench-{r}-{i}", "site-001", "staff") for i in range(201)]
    base_env = {
        "DASHSCOPE_API_KEY": "bench",
        "DASHSCOPE_BASE_URL": emulator_base,
        "BAILIAN_APP_ID_APP1_CHAT": APP_ID,
        "AUTH_JWT_SECRET": SECRET,
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "warning",
        **_trees.OSS_CREDENTIALS,
    }
    out: dict[str, object] = {}
    for label, n, url in (
        ("n200_file", 200, f"file://{store_dir}/{tree.name}-{r}-200"),
        ("n100_file", 100, f"file://{store_dir}/{tree.name}-{r}-100"),
        ("n100_oss", 100, _trees.oss_url(oss_endpoint, f"{tree.name}-{r}-100")),
    ):
        port = free_port()
        env = {**base_env, "STORE_URL": url, "PORT": str(port), "FC_CUSTOM_LISTEN_PORT": str(port)}
        with _trees.serve(tree, "functions/chat/server.py", port, env) as pid:
            asyncio.run(run_round(f"http://127.0.0.1:{port}", 1, users[-2:]))  # warm: imports, pools
            cpu = _trees.cpu_seconds(pid)
            figures = asyncio.run(run_round(f"http://127.0.0.1:{port}", n, users[: n + 1]))
            figures["server_cpu_ms_per_turn"] = round((_trees.cpu_seconds(pid) - cpu) * 1000 / n, 2)
        out[label] = figures
    ops_env = {**base_env, "STORE_URL": f"file://{store_dir}/{tree.name}-{r}-ops"}
    out["store_ops"] = tree.run_probe("chat-ops", ops_env)
    return out


def compare_trees(baseline: str, rounds: int) -> dict[str, object]:
    trees = [_trees.this_tree(), _trees.baseline_tree(baseline)]
    emu_port = free_port()
    with (
        tempfile.TemporaryDirectory() as store_dir,
        _trees.oss_server() as oss_endpoint,
        child(
            ["-m", "bailian_fc_tools.cli", "emulator", "--port", str(emu_port)],
            f"http://127.0.0.1:{emu_port}/_emulator/health",
        ),
    ):
        httpx.post(f"http://127.0.0.1:{emu_port}/_emulator/default", json={"behaviour": PACING})
        base = f"http://127.0.0.1:{emu_port}/api/v1"
        result = _trees.compare(
            trees, rounds, lambda tree, r: tree_figures(tree, base, oss_endpoint, store_dir, r)
        )
    return {"upstream": PACING, "baseline_tree": baseline, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--baseline-tree", help="a git worktree of an earlier commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.baseline_tree:
        print(json.dumps(compare_trees(args.baseline_tree, args.rounds), indent=2))
        return
    emu_port = free_port()
    out: dict[str, object] = {"upstream": PACING, "results": {}}
    with (
        tempfile.TemporaryDirectory() as store_dir,
        child(
            ["-m", "bailian_fc_tools.cli", "emulator", "--port", str(emu_port)],
            f"http://127.0.0.1:{emu_port}/_emulator/health",
        ),
    ):
        base = f"http://127.0.0.1:{emu_port}/api/v1"
        for n in args.n:
            ours = measure("bailian_fc", n, base, store_dir)
            baseline = measure("thread_per_stream", n, base, store_dir)
            out["results"][str(n)] = {  # type: ignore[index]
                "upstream_floor": asyncio.run(upstream_floor(emu_port, n)),
                "bailian_fc": ours,
                "thread_per_stream": baseline,
                "ttfb_p99_ratio_vs_baseline": round(ours["ttfb_p99_ms"] / baseline["ttfb_p99_ms"], 3),
            }
            print(f"N={n} done", file=sys.stderr, flush=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
