"""bailian-fc: run Bailian (DashScope) agent apps on Alibaba Cloud Function Compute.

The rooms of this package and the arrows allowed between them are drawn in docs/architecture.md.
"""
