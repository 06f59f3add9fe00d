"""Queries and use-cases on top of the models (no request handling here)."""
