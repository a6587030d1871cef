"""Tests against a real Prometheus server (one per session, see conftest.py)."""
