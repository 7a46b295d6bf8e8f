"""Baseline for bench/chat_concurrency.py: thread-per-stream SSE, the way most gateways start.

The SDK's synchronous ``dashscope.Application.call(stream=True)`` runs in the event
loop's default thread pool; each chunk is handed to the loop through an asyncio.Queue.
Same SSE frames as the chat function; no auth, no storage (the baseline gets the
easier job, so the comparison flatters it).
"""

from __future__ import annotations

import asyncio
import json
import os

import dashscope
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

BASE = os.environ["DASHSCOPE_BASE_URL"]
APP_ID = os.environ["BAILIAN_APP_ID_APP1_CHAT"]
_END = object()


def _pump(prompt: str, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    try:
        for chunk in dashscope.Application.call(
            api_key="bench",
            app_id=APP_ID,
            prompt=prompt,
            stream=True,
            incremental_output=True,
            base_address=BASE,
        ):
            loop.call_soon_threadsafe(queue.put_nowait, chunk.output.text if chunk.output else "")
    finally:
        loop.call_soon_threadsafe(queue.put_nowait, _END)


async def chat(request: Request) -> StreamingResponse:
    body = await request.json()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    loop.run_in_executor(None, _pump, body["message"], loop, queue)

    async def frames():
        yield b"event: meta\ndata: {}\n\n"
        while (item := await queue.get()) is not _END:
            yield f"event: delta\ndata: {json.dumps({'text': item}, ensure_ascii=False)}\n\n".encode()
        yield b"event: done\ndata: {}\n\n"

    return StreamingResponse(frames(), media_type="text/event-stream")


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/chat/messages", chat, methods=["POST"]),
        Route("/invoke", health, methods=["POST", "GET"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
