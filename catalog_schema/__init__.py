"""The catalog's model, storage, vocabularies and mappings. Imports nothing of ours."""
