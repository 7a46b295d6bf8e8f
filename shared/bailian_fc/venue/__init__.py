"""Venue data (finance rows, clue details) behind one port; the adapter follows ``DATA_URL``.

``psycopg`` is imported only when ``DATA_URL`` is ``postgresql://…``, and then by the first read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .port import VenueData

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store import Store

# The venue-data adapters, declared once: each kind with the pyproject optional-dependency its
# driver comes from (`bailian-fc build` packages it), and the DATA_URL schemes that select it.
# No DATA_URL (or any other scheme) is the embedded dataset in the store.
DATA_KINDS: dict[str, str | None] = {"embedded": None, "postgresql": "pg"}
DATA_SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql"}
PG_SCHEMES = tuple(f"{scheme}://" for scheme, kind in DATA_SCHEMES.items() if kind == "postgresql")

__all__ = ["DATA_KINDS", "DATA_SCHEMES", "VenueData", "data_kind_of", "is_postgres", "open_venue_data"]


def data_kind_of(url: str | None) -> str:
    """The adapter kind a ``DATA_URL`` selects."""
    scheme, sep, _ = str(url or "").partition("://")
    return DATA_SCHEMES.get(scheme, "embedded") if sep else "embedded"


def is_postgres(url: str | None) -> bool:
    return data_kind_of(url) == "postgresql"


def open_venue_data(settings: Settings, store: Store) -> VenueData:
    """The embedded dataset in ``store`` unless ``DATA_URL`` names a PostgreSQL DWS (no I/O here)."""
    url = settings.data_url.get_secret_value() if settings.data_url else ""
    if is_postgres(url):
        from importlib.util import find_spec

        if find_spec("psycopg") is None:  # a code dir built without DATA_URL set: say so at start-up
            raise RuntimeError(
                "DATA_URL is postgresql:// but psycopg is not installed: rebuild with "
                "DATA_URL set (`bailian-fc build` then packages psycopg[binary])"
            )
        from .postgres import PostgresVenueData  # psycopg itself waits for the first read

        return PostgresVenueData(
            url,
            statement_timeout_seconds=settings.data_statement_timeout_seconds,
            connect_timeout_seconds=settings.data_connect_timeout_seconds,
        )
    if url:
        raise ValueError("DATA_URL must be postgresql://… (or unset for the embedded dataset)")
    from .embedded import EmbeddedVenueData

    return EmbeddedVenueData(store)
