"""The venue database from the operator's side: ``bailian-fc db`` (migrate, check the login,
generate RLS migrations for the AI-facing views), a throwaway PostgreSQL cluster for tests and
``dev``, the demo-data writer for PostgreSQL, and validate's checks of ``DATA_URL`` and its network.
"""
