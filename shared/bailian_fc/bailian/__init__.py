"""Bailian (DashScope) upstream: the async client with one retry loop, its error tree, usage and replies."""
