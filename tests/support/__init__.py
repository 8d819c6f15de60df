"""Helpers shared by the test files (importable as `support.*`: tests/conftest.py puts tests/ on the path)."""
