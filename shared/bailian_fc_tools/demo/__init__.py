"""Demo data for local runs and tests: a venue's customers, clues, visits and staff, and its daily
finance rows, generated deterministically from a seed into the store or a PostgreSQL database.
"""
