"""Vocabulary data files shipped with catalog_schema (read by catalog_schema.vocab; see SOURCES.md)."""
