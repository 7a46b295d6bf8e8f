"""Checking and proving a deployment: ``bailian-fc validate`` (s.yaml against the fc3 props schema, the
functions' environment, builds, HTTPS, concurrency), ``verify`` against a running base URL, and
``store init`` that creates what a store needs before the first request.
"""
