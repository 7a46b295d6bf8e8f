"""The chat function's domain (App1, streamed, multi-turn) and its ASGI app."""
