"""The HTTP edge: the error table, ASGI and FC event adapters, SSE, query params, the OpenAPI builder."""
