"""The one gate of the catalog: every change of a dataset goes through these modules.

Web forms, /api/v1, the CKAN write actions, the harvest import and the CLI call the services; none of
them writes rows. The services enforce, in one place: who may change what, the pre-publication check,
the personal-data gate and its overrides, re-assessment on change, the audit entry, the search index.
They work on catalog records and hand them to `catalog_schema.store`, the only code that turns
records into rows. Every route that hands out a distribution's bytes or rows goes through
`app.services.serving`, which decides: serve, serve masked, or withhold (docs/architecture.md).
"""
