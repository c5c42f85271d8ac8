"""The quality engine: evidence about a dataset and its files in, scores and typed findings out.

Modules here import `catalog_schema` only, never `harvesters` or `app`. Where a check needs the
network it takes an HTTP session as an argument, so everything else stays pure and testable.
"""
