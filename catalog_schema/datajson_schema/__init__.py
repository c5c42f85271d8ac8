"""The Project Open Data v1.1 (data.json) JSON Schema, as data: `pod_v1.1.schema.json`.

Written for this project from the published POD v1.1 field rules (required fields, value
patterns, the accessLevel and accrualPeriodicity vocabularies); `catalog_schema.datajson`
loads it for `validation_errors`, and the publishing API validates `/data.json` with it.
"""
