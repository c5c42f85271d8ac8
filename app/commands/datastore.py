"""opendata datastore rebuild|status|stale|prune: the row store (app/datastore), a cache of the archived tables."""

from __future__ import annotations

import json

import click

from app.cli_lang import N_, _


def register(main: click.Group) -> None:
    @main.group("datastore", help=N_("The row store behind datastore_search and /api/v1/.../rows (Parquet files, "
                                     "one per archived table)."))
    def datastore_group() -> None:
        pass

    def _sources(obj, dataset: str | None):
        from sqlalchemy import select

        from app.datastore.load import Source, loadable
        from catalog_schema.models import Dataset, Distribution

        with obj.sessionmaker()() as session:
            stmt = select(Distribution).join(Dataset).where(Dataset.state != "deleted")
            if dataset:
                stmt = stmt.where(Dataset.slug == dataset)
            rows = session.scalars(stmt.order_by(Distribution.id)).all()
            return [(row.id, Source.of(row)) for row in rows if loadable(row)]

    @datastore_group.command("rebuild", help=N_("(Re)load every archived table into the row store."))
    @click.option("--dataset", default=None, help=N_("Only the tables of this dataset (slug)."))
    @click.option("--missing", is_flag=True, help=N_("Only load the tables not in the store yet."))
    @click.option("--json", "as_json", is_flag=True, help=N_("Print the outcome per distribution as JSON."))
    @click.pass_obj
    def rebuild(obj, dataset: str | None, missing: bool, as_json: bool) -> None:
        from app.datastore.load import Loaded, load_all, root_of

        root = root_of(obj.settings)
        sources = _sources(obj, dataset)
        done = load_all(root, [s for _, s in sources], force=not missing)
        report = []
        for dist_id, src in sources:
            got = done[src.key]
            if isinstance(got, Loaded):
                report.append({"distribution": dist_id, "sha256": src.sha256, "status": "loaded", "rows": got.rows,
                               "columns": len(got.fields)})
            else:
                report.append({"distribution": dist_id, "sha256": src.sha256, "status": "failed",
                               "reason": got.reason, "message": got.message})
        if as_json:
            click.echo(json.dumps({"root": str(root), "tables": report}, ensure_ascii=False))
            return
        loaded = sum(1 for r in report if r["status"] == "loaded")
        for r in report:
            if r["status"] == "failed":
                click.echo(f"{r['distribution']}: {r['reason']}: {r['message']}", err=True)
        click.echo(_("%(loaded)s of %(total)s tables loaded into %(folder)s", loaded=loaded, total=len(report),
                     folder=root))

    @datastore_group.command("status", help=N_("What the row store holds for each archived table (JSON)."))
    @click.option("--dataset", default=None, help=N_("Only the tables of this dataset (slug)."))
    @click.pass_obj
    def status(obj, dataset: str | None) -> None:
        from app.datastore.load import Loaded, lookup, root_of
        from app.services.serving import REDACTED_NAME
        from quality.pii import first_row_of_data

        def said(fields) -> list[dict]:
            """The fields; of a table whose names are its first row of data (personal data), each by its position,
            as the gate's descriptions say them: a log keeps what the command prints."""
            out = [f.to_dict() for f in fields]
            if first_row_of_data(f["id"] for f in out):
                out = [{**f, "id": REDACTED_NAME, "title": None, "position": n} for n, f in enumerate(out, 1)]
            return out

        root = root_of(obj.settings)
        out = []
        for dist_id, src in _sources(obj, dataset):
            got = lookup(root, src.key)
            entry = {"distribution": dist_id, "sha256": src.sha256}
            if got is None:
                entry["status"] = "missing"
            elif isinstance(got, Loaded):
                entry.update(status="loaded", rows=got.rows, fields=said(got.fields))
                if got.encoding_known:
                    entry.update(encoding=got.encoding, encoding_by_hand=got.encoding_by_hand)
            else:
                entry.update(status="failed", **got.to_dict())
            out.append(entry)
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))

    @datastore_group.command("stale", help=N_("The tables read in an encoding decided by an older version of the "
                                              "encoding detector, or no longer the one decided: the next re-check of "
                                              "their dataset reads them again when the decision changed."))
    @click.option("--dataset", default=None, help=N_("Only the tables of this dataset (slug)."))
    @click.option("--json", "as_json", is_flag=True, help=N_("Print the tables as JSON."))
    @click.pass_obj
    def stale(obj, dataset: str | None, as_json: bool) -> None:
        from sqlalchemy import select

        from app.datastore.load import Loaded, key_of, loadable, lookup, root_of, same_encoding
        from catalog_schema.models import Dataset, Distribution
        from plumbing.textencoding import DETECTOR_VERSION

        root = root_of(obj.settings)
        out = []
        with obj.sessionmaker()() as session:
            stmt = select(Distribution, Dataset.slug).join(Dataset).where(Dataset.state != "deleted")
            if dataset:
                stmt = stmt.where(Dataset.slug == dataset)
            for row, slug in session.execute(stmt.order_by(Dataset.slug, Distribution.id)):
                if not loadable(row):
                    continue
                got = lookup(root, key_of(row))
                if not isinstance(got, Loaded) or got.encoding_by_hand:
                    continue  # not in the store (loaded by the next re-check), or as a publisher set it
                if got.encoding_known and got.encoding is None and row.detected_encoding is None:
                    continue  # a spreadsheet: no encoding to decide
                older = row.encoding_detector is None or row.encoding_detector < DETECTOR_VERSION
                other = got.encoding_known and not same_encoding(got.encoding, row.detected_encoding)
                if older or other:
                    out.append({"dataset": slug, "distribution": row.id, "sha256": row.archive_hash,
                                "read_as": got.encoding if got.encoding_known else None,
                                "read_as_known": got.encoding_known, "encoding": row.detected_encoding,
                                "detector": row.encoding_detector})
        if as_json:
            click.echo(json.dumps({"detector": DETECTOR_VERSION, "tables": out}, ensure_ascii=False))
            return
        unknown = _("unknown")
        for t in out:
            click.echo(_("%(dataset)s %(distribution)s: read as %(read_as)s, decided by detector %(detector)s; "
                         "now %(encoding)s", dataset=t["dataset"], distribution=t["distribution"],
                         read_as=t["read_as"] or unknown,
                         detector=t["detector"] if t["detector"] is not None else unknown,
                         encoding=t["encoding"] or unknown))
        click.echo(_("%(count)s tables read by an older encoding detector than version %(version)s (the next re-check "
                     "of their datasets reads again those whose encoding changed)", count=len(out),
                     version=DETECTOR_VERSION))

    @datastore_group.command("prune", help=N_("Remove the tables of copies no distribution has any more (older "
                                              "versions of changed files)."))
    @click.option("--dry-run", is_flag=True, help=N_("Only list what would be removed."))
    @click.pass_obj
    def prune(obj, dry_run: bool) -> None:
        from sqlalchemy import select

        from app.datastore.load import prune as do_prune
        from app.datastore.load import root_of
        from catalog_schema.models import Distribution

        with obj.sessionmaker()() as session:
            keep = {h for h in session.scalars(select(Distribution.archive_hash)) if h}
        gone = do_prune(root_of(obj.settings), keep, dry_run=dry_run)
        files = sum(len(v) for v in gone.values())
        click.echo(json.dumps({"dry_run": dry_run, "copies": len(gone), "files": files,
                               "removed": sorted(gone)}, ensure_ascii=False))

