"""SQLAlchemy 2 typed models of the catalog (docs/architecture.md).

Multilingual texts are JSON language maps ({"en": ..., "zh": ...}); lists and
free-form source fields are JSON too. Every schema change is an Alembic
migration under `migrations/`; `alembic check` must find no drift.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType}


Timestamp = DateTime(timezone=True)

DATASET_STATES = ("active", "withdrawn", "deleted", "draft")
JOB_STATES = ("queued", "running", "finished", "failed", "needs-confirmation")
RECORD_STATES = ("added", "updated", "unchanged", "withdrawn", "restored", "errored")
ROLES = ("admin", "editor")


class Publisher(Base):
    """An agency or department (foaf:Agent); CKAN calls it an organization."""

    __tablename__ = "publishers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    description: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    uri: Mapped[str | None] = mapped_column(Text)
    homepage: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id", ondelete="SET NULL"))
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # what people said of it (app.services.publishers: "title", "description", "homepage", "image_url", "extras"):
    # no harvest changes these fields again (store.ensure_publisher)
    edited: Mapped[list[str] | None] = mapped_column(JSONType)
    # the harvest source whose harvests keep what it says up to date (the first that named it); another source
    # naming it only fills what is empty, so two sources that name it differently do not take turns. An id without
    # a foreign key: harvest_sources already refers to publishers, and sources are never removed (only marked deleted)
    source_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    parent: Mapped[Publisher | None] = relationship(remote_side=[id])
    datasets: Mapped[list[Dataset]] = relationship(back_populates="publisher")


class HarvestSource(Base):
    __tablename__ = "harvest_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(50))
    url: Mapped[str] = mapped_column(Text)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id", ondelete="SET NULL"))
    schedule: Mapped[str] = mapped_column(String(20), default="manual")
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_gathered_at: Mapped[dt.datetime | None] = mapped_column(
        Timestamp, doc="start of the last successful gather (the `since` of the next incremental one)"
    )
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    # set when the source was deleted (app.services.sources.delete_source): it is no longer listed, run or
    # editable, and its name is not given to another source, but the row stays with its jobs and their record rows
    # (the audit trail: what it harvested and when, its datasets' public activity), until the history retention
    # prunes the jobs as it prunes any source's
    deleted_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)

    publisher: Mapped[Publisher | None] = relationship()
    jobs: Mapped[list[HarvestJob]] = relationship(back_populates="source", cascade="all, delete-orphan")


class Dataset(Base):
    """dcat:Dataset. Columns follow the record schema (catalog_schema/record.schema.json)."""

    __tablename__ = "datasets"
    __table_args__ = (
        UniqueConstraint("source_id", "remote_id", name="uq_datasets_source_remote"),
        Index("ix_datasets_publisher_state", "publisher_id", "state"),
        Index("ix_datasets_modified_at", "modified_at"),
        Index("ix_datasets_bbox", "bbox_west", "bbox_east", "bbox_south", "bbox_north"),
        # the newest datasets (home page), read backwards; the active ones in slug order (DCAT pages): 0018
        Index("ix_datasets_created_at_slug", "created_at", "slug"),
        Index("ix_datasets_state_slug", "state", "slug"),
        Index("ix_datasets_kind_publisher", "kind", "publisher_id"),  # each publisher's series (0020)
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    uri: Mapped[str | None] = mapped_column(Text)
    identifier: Mapped[str | None] = mapped_column(Text)
    title: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    description: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id", ondelete="SET NULL"))
    creator: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    contact_point: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    keywords: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    themes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    license_id: Mapped[str | None] = mapped_column(String(100), index=True)
    license_raw: Mapped[str | None] = mapped_column(Text)
    access_rights: Mapped[str | None] = mapped_column(Text)
    rights: Mapped[str | None] = mapped_column(Text)
    issued: Mapped[str | None] = mapped_column(String(40))
    modified: Mapped[str | None] = mapped_column(String(40))
    temporal: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    spatial: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    # The extent as the source gave it (record `extent`: bbox and GeoJSON geometry, catalog_schema/places.py) and
    # the box the catalog searches: the extent's, else its places', else its GeoJSON files' (migration 0016).
    extent: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    bbox_west: Mapped[float | None] = mapped_column(Float)
    bbox_south: Mapped[float | None] = mapped_column(Float)
    bbox_east: Mapped[float | None] = mapped_column(Float)
    bbox_north: Mapped[float | None] = mapped_column(Float)
    frequency: Mapped[str | None] = mapped_column(String(200))
    landing_page: Mapped[str | None] = mapped_column(Text)
    conforms_to: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    # High-value dataset: dcatap:hvdCategory IRIs and dcatap:applicableLegislation ELIs (migration 0015; NULL
    # in rows older than it: read as none).
    hvd_category: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)
    applicable_legislation: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)
    language: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    version: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="active")  # indexed with slug (0018)
    # "series": a dcat:DatasetSeries; in_series: the series a dataset belongs to as the source named them
    # (URI, identifier, id or slug); series_links holds what they resolve to (catalog_schema/series.py).
    kind: Mapped[str] = mapped_column(String(20), default="dataset", server_default="dataset")
    in_series: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    flags: Mapped[list[Any]] = mapped_column(JSONType, default=list)

    # Where it came from: harvest source, remote id, the original payload verbatim, its hash.
    source_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_sources.id", ondelete="SET NULL"))
    remote_id: Mapped[str | None] = mapped_column(String(500))
    source_payload: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Hash of the source payload (and what its mapping depends on) last imported: the same again on a
    # re-harvest counts the record unchanged without mapping it. None: not known, the next harvest maps it.
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    # The last pre-publication check as the agency saw it, with the fingerprint of the record and files it
    # was computed from (app/services/check.py): shown again until they change. Not part of the record.
    prepublication_check: Mapped[dict[str, Any] | None] = mapped_column(JSONType, deferred=True)

    # Latest assessment, denormalised for facets and sorting.
    stars: Mapped[int | None] = mapped_column(Integer, index=True)
    score: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(
        Timestamp, default=utcnow, doc="when the catalog's copy last changed (CKAN metadata_modified)"
    )
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    # The tombstone of a withdrawn dataset: why, and the dataset (slug) or URL that replaces it.
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    successor: Mapped[str | None] = mapped_column(Text)

    publisher: Mapped[Publisher | None] = relationship(back_populates="datasets")
    source: Mapped[HarvestSource | None] = relationship()
    distributions: Mapped[list[Distribution]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", order_by="Distribution.position"
    )


class Distribution(Base):
    """dcat:Distribution with its archive (the evidence of the last link check)."""

    __tablename__ = "distributions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # indexed: CKAN's resource_show and the DataStore doors find a file by its source's id (migration 0023)
    remote_id: Mapped[str | None] = mapped_column(String(500), index=True)
    uri: Mapped[str | None] = mapped_column(Text)
    title: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    description: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    access_url: Mapped[str | None] = mapped_column(Text)
    download_url: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(100), index=True)
    format_raw: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(200))
    license_id: Mapped[str | None] = mapped_column(String(100))
    license_raw: Mapped[str | None] = mapped_column(Text)
    rights: Mapped[str | None] = mapped_column(Text)
    byte_size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    issued: Mapped[str | None] = mapped_column(String(40))
    modified: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    conforms_to: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    hvd_category: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)
    applicable_legislation: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)
    # The dcat:DataService (an API) this distribution is reached through, with its own HVD fields.
    access_service: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    table_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    # The archive: what the last check found.
    check_status: Mapped[str | None] = mapped_column(String(30), doc="ok, broken, error, unchecked")
    http_status: Mapped[int | None] = mapped_column(Integer)
    check_error: Mapped[str | None] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    detected_format: Mapped[str | None] = mapped_column(String(100))
    detected_media_type: Mapped[str | None] = mapped_column(String(200))
    detected_encoding: Mapped[str | None] = mapped_column(String(50))
    # The version of the encoding detector (plumbing.textencoding.DETECTOR_VERSION) whose decision detected_encoding
    # is: a re-check of a table decided by an older one reads its stored table again when the decision changed
    # (migration 0026). None: decided before versions were recorded.
    encoding_detector: Mapped[int | None] = mapped_column(Integer)
    archive_size: Mapped[int | None] = mapped_column(BigInteger)
    # The archived copy is the file's first OPENDATA_MAX_DOWNLOAD_BYTES only (the file is larger): not served as the
    # file's data (migration 0027). None or False: whole, as far as the check knew.
    archive_truncated: Mapped[bool | None] = mapped_column(Boolean)
    archive_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    archive_path: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified_header: Mapped[str | None] = mapped_column(String(100))
    first_failure: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    last_success: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    last_checked: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    stars: Mapped[int | None] = mapped_column(Integer)
    # Personal data in the archived copy, as the last profile found it: {"sha256": the archive hash it
    # describes, "checked_at": iso8601, "columns": {column: {kind: count}}}. None: never scanned.
    # The serving gate reads it (a copy whose sha256 is not the one scanned is not served).
    pii: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The table's data dictionary (catalog_schema.dictionary): inferred from the last profile, and the
    # agency's edits, which outlive reloads and re-harvests. None: never profiled as a table.
    dictionary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The extent of the archived copy when it is GeoJSON: {"sha256": the archive hash, "bbox": [W, S, E, N],
    # "features": count}, computed at assessment (app/services/geo.py; migration 0016). None: not GeoJSON.
    extent: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    dataset: Mapped[Dataset] = relationship(back_populates="distributions")


class DistributionVersion(Base):
    """One archived copy a distribution has had: every copy a check found is kept (content-addressed, so an
    unchanged file adds nothing), with what its profile found and how its rows changed from the copy before."""

    __tablename__ = "distribution_versions"
    __table_args__ = (UniqueConstraint("distribution_id", "sha256", name="uq_distribution_versions_copy"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    distribution_id: Mapped[str] = mapped_column(ForeignKey("distributions.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    path: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(100))
    encoding: Mapped[str | None] = mapped_column(String(50))
    archived_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    stars: Mapped[int | None] = mapped_column(Integer)
    # What the profile of this copy found, as Distribution.pii's "columns" ({} for nothing); None: not scanned.
    pii: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # How this copy differs from the one before (quality.tabular.compare); None for the first or a non-table.
    change: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class SeriesLink(Base):
    """A dataset's membership of a series: one row a reference in its `in_series`, with the series it names
    once that series is in the catalog (NULL until then: a member harvested before its series). Derived from
    the datasets' rows by catalog_schema/series.py, never edited by hand."""

    __tablename__ = "series_links"

    member_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(500), primary_key=True, index=True)
    series_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)


class DatasetSlug(Base):
    """A slug a dataset was known by before a rename: the old URL answers 301 to the new one."""

    __tablename__ = "dataset_slugs"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class HarvestJob(Base):
    __tablename__ = "harvest_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_sources.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    worker: Mapped[str | None] = mapped_column(String(200))
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    errored: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # the error's msgid and parameters (harvesters/messages.py), to say it in the reader's language; NULL: `error`
    # is plain text, shown as it is
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    source: Mapped[HarvestSource] = relationship(back_populates="jobs")
    records: Mapped[list[HarvestRecord]] = relationship(back_populates="job", cascade="all, delete-orphan")


class HarvestRecord(Base):
    """One remote record in one job: its outcome, stage, error and, for an errored one, its original payload
    (an imported record's payload is its dataset's source_payload)."""

    __tablename__ = "harvest_records"
    __table_args__ = (UniqueConstraint("job_id", "remote_id", name="uq_harvest_records_job_remote"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # a job's rows are found by the unique index, which starts with job_id (migration 0024)
    job_id: Mapped[int] = mapped_column(ForeignKey("harvest_jobs.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(500))
    # indexed: a dataset's activity (app/activity.py) reads its records
    dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str | None] = mapped_column(String(20), doc="gather, fetch or import")
    error: Mapped[str | None] = mapped_column(Text)
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # as HarvestJob.error_detail
    payload: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))  # what it wrote; None: unchanged (its dataset's)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    job: Mapped[HarvestJob] = relationship(back_populates="records")
    # A relationship (not only the column) so that a batch flush inserts the dataset first.
    dataset: Mapped[Dataset | None] = relationship()


class Assessment(Base):
    """One quality assessment of a dataset; kept as history for trends."""

    __tablename__ = "assessments"
    # one per dataset and instant: a chunk of an assessment run delivered twice cannot count twice
    __table_args__ = (Index("ix_assessments_dataset_at", "dataset_id", "assessed_at", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    assessed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    rule_version: Mapped[str] = mapped_column(String(20))
    stars: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    metadata_points: Mapped[int] = mapped_column(Integer)
    metadata_rating: Mapped[str] = mapped_column(String(20))
    subscores: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    distributions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    findings: Mapped[list[Any]] = mapped_column(JSONType, default=list)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(Text)
    is_sysadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "publisher_id", name="uq_memberships_user_publisher"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    publisher_id: Mapped[int] = mapped_column(ForeignKey("publishers.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="memberships")
    publisher: Mapped[Publisher] = relationship()


class ApiToken(Base):
    """An API token; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)

    user: Mapped[User] = relationship(back_populates="tokens")


class SignIn(Base):
    """One signed-in browser session: the session cookie carries a random token, only its SHA-256 is stored.

    A session is signed in while its row exists: signing out deletes it (a copy of the cookie taken before
    then opens nothing), a password change deletes the user's other rows, a reset all of them, and a row older
    than `SIGN_IN_MAX_HOURS` no longer counts."""

    __tablename__ = "sign_ins"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class AuditEvent(Base):
    """Every write: who, what, when, before and after."""

    __tablename__ = "audit_events"
    # a dataset's activity (app/activity.py) reads its entries
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(200))
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id", ondelete="SET NULL"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


class AccountToken(Base):
    """A single-use link sent by e-mail: an invitation to join a publisher, or a password reset.

    Only the SHA-256 of the token is stored; `used_at` is set when it is used (or voided, as a password
    change voids the reset links still open)."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "invite" or "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    used_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)

    publisher: Mapped[Publisher | None] = relationship()


class LicenceMapping(Base):
    """A sysadmin's mapping of a raw licence text (as sources write it) to a licence id of the vocabulary."""

    __tablename__ = "licence_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    raw_key: Mapped[str] = mapped_column(String(500), unique=True)  # the text, normalised (vocab.licence_key)
    raw: Mapped[str] = mapped_column(Text)  # the text as first given
    licence_id: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class UsageCounter(Base):
    """Views, downloads and API calls per dataset per day."""

    __tablename__ = "usage_counters"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)


class WeeklyReport(Base):
    """One publisher's weekly evaluation (issue 17 item 3), kept as history: the figures as they were computed
    that week (`body`, never recomputed), and whether the e-mail to the publisher's admins went out."""

    __tablename__ = "weekly_reports"
    __table_args__ = (UniqueConstraint("week", "publisher_id", name="uq_weekly_reports_week_publisher"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week, "2026-W48"
    publisher_id: Mapped[int] = mapped_column(ForeignKey("publishers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    body: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recipients: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    sent_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    send_error: Mapped[str | None] = mapped_column(Text)
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)

    publisher: Mapped[Publisher] = relationship()


class Follow(Base):
    """A signed-in user follows a dataset, a publisher or a search (q and fq as CKAN takes them) and gets a
    digest of their changes by e-mail, daily or weekly; `last_sent_at` is where the next digest begins."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "kind", "target", name="uq_follows_user_kind_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "dataset", "publisher" or "search"
    # the dataset's id, the publisher's id, or the search as "q\nfq"
    target: Mapped[str] = mapped_column(String(1000))
    q: Mapped[str | None] = mapped_column(Text)
    fq: Mapped[str | None] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(10), default="weekly")  # "daily" or "weekly"
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)

    user: Mapped[User] = relationship()


# Every session logs dataset changes for the search index, in any process that uses the models.
from catalog_schema import changelog  # noqa: E402, F401
