"""The local runtime: s.yaml reader, `bailian-fc dev`, invoke and build helpers."""
