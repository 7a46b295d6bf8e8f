"""OpenAPI 3.1 documents of the HTTP functions, generated from their route tables and pydantic models.

Each function serves its own part (``/chat/openapi.json``, ``/apps/openapi.json``,
``/admin/openapi.json``); ``bailian-fc export-types`` writes the three as one document.
Nothing here is imported until a document is asked for (cold start).
"""

from ..http.openapi import OpenApiBuilder, function_document
from .operations import combined_document

__all__ = ["OpenApiBuilder", "combined_document", "function_document"]
