"""opendata assess, opendata quality show|file|publishers."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click


def register(main: click.Group) -> None:
    @main.command("assess")
    @click.option("--dataset", "slug", default=None, help="one dataset by slug")
    @click.option("--all", "all_", is_flag=True, help="every active dataset")
    @click.option("--changed", is_flag=True, help="datasets changed by harvests, or never assessed")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def assess_cmd(obj, slug, all_, changed, as_json) -> None:
        """Check links, archive files and assess datasets."""
        from sqlalchemy import select

        from app.assessment import changed_dataset_ids
        from app.jobs import Runtime, assess
        from catalog_schema.models import Dataset

        if sum(bool(x) for x in (slug, all_, changed)) != 1:
            raise click.UsageError("give exactly one of --dataset SLUG, --all, --changed")
        rt = Runtime(obj.settings)
        try:
            with rt.sessionmaker() as session:
                if slug:
                    ids = list(session.scalars(select(Dataset.id).where(Dataset.slug == slug)))
                    if not ids:
                        raise click.ClickException(f"no dataset {slug!r}")
                elif all_:
                    ids = list(session.scalars(select(Dataset.id).where(Dataset.state == "active")
                                               .order_by(Dataset.slug)))
                else:
                    ids = changed_dataset_ids(rt)
            count = assess(rt, ids)
        finally:
            rt.close()
        if as_json:
            click.echo(json.dumps({"assessed": count}))
        else:
            click.echo(f"assessed {count} dataset(s)")

    @main.group("quality")
    def quality_group() -> None:
        """Quality assessments."""

    @quality_group.command("show")
    @click.argument("slug")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--lang", type=click.Choice(["en", "zh"]), default="en")
    @click.pass_obj
    def show(obj, slug, as_json, lang) -> None:
        """The latest assessment of a dataset."""
        from sqlalchemy import select

        from app.assessment import assessment_document, latest_assessment
        from catalog_schema.models import Dataset

        with obj.sessionmaker()() as session:
            ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
            if ds is None:
                raise click.ClickException(f"no dataset {slug!r}")
            a = latest_assessment(session, ds.id)
            if a is None:
                raise click.ClickException(f"{slug} has not been assessed yet: run `opendata assess --dataset {slug}`")
            doc = assessment_document(ds, a)
        if as_json:
            click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
            return
        _print_doc(doc, lang)

    @quality_group.command("file")
    @click.argument("path_or_url")
    @click.option("--licence", "licence", default=None, help="licence id, URL or CKAN id (default: none)")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--lang", type=click.Choice(["en", "zh"]), default="en")
    @click.pass_obj
    def quality_file(obj, path_or_url, licence, as_json, lang) -> None:
        """Assess one file without publishing it."""
        doc = assess_file(obj.settings, path_or_url, licence)
        if as_json:
            click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
            return
        _print_doc(doc, lang)

    @quality_group.command("publishers")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def publishers(obj, as_json) -> None:
        """The publishers' league table."""
        from app.assessment import publisher_table
        from app.jobs import Runtime

        rt = Runtime(obj.settings)
        try:
            rows = publisher_table(rt)
        finally:
            rt.close()
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        click.echo(f"{'rank':>4} {'publisher':<24} {'datasets':>8} {'avg★':>5} {'3★+':>5} {'score':>6} "
                   f"{'broken':>6} {'stale':>5} {'pii':>4}")
        for r in rows:
            click.echo(f"{r['rank']:>4} {r['publisher']:<24} {r['datasets']:>8} {r['average_stars']:>5} "
                       f"{r['share_3_plus']:>5.0%} {r['average_score']:>6} {r['broken_links']:>6} {r['stale']:>5} "
                       f"{r['pii']:>4}")


def assess_file(settings: dict, path_or_url: str, licence: str | None) -> dict:
    """Stars, data profile and findings of one file, as `quality file --json` prints them."""
    import datetime as dt

    from catalog_schema import vocab
    from catalog_schema.record import new_distribution, new_record
    from quality import assess as assess_mod
    from quality.fetch import CheckResult, check_url
    from quality.findings import FINDING_TYPES

    lic = vocab.licence(licence) if licence else None
    if licence and lic is None:
        click.echo(f"warning: licence {licence!r} is not recognised: it counts as not open", err=True)
    remote = path_or_url.startswith(("http://", "https://"))
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        if remote:
            from plumbing.http import GuardedSession

            with GuardedSession.from_settings(settings) as http:
                check = check_url(http, path_or_url, tmp, max_bytes=settings["MAX_DOWNLOAD_BYTES"])
            url = path_or_url
        else:
            path = Path(path_or_url)
            if not path.is_file():
                raise click.ClickException(f"{path_or_url}: no such file")
            check = CheckResult(url=path.resolve().as_uri(), status="ok", checked_at=now, http_status=200,
                                path=str(path), size=path.stat().st_size)
            url = path.resolve().as_uri()
        declared = vocab.format_for_extension(path_or_url.split("?")[0])
        record = new_record(title={"": Path(path_or_url).name}, license=lic.id if lic else None,
                            license_raw=licence,
                            distributions=[new_distribution(id="file", download_url=url,
                                                            format=declared.code if declared else None)])
        facts = assess_mod.collect_facts(record, {"file": check})
        doc = assess_mod.assess(record, facts, now=now, dcat_violations=[])
    # a file has no catalog record to judge: the record rules' findings (metadata, timeliness) are left out
    record_slugs = {t.slug for rule in FINDING_TYPES.rules("record") for t in rule.types}
    findings = [f for f in doc["findings"] if f["type"] not in record_slugs]
    return {"file": path_or_url, "distributions": doc["distributions"], "stars": doc["stars"], "data": doc["data"],
            "findings": findings}


def _print_doc(doc: dict, lang: str) -> None:
    from quality.findings import FINDING_TYPES

    title = doc.get("dataset") or doc.get("file")
    line = f"{title}: {'★' * doc['stars']}{'☆' * (5 - doc['stars'])} ({doc['stars']} stars)"
    if "score" in doc:
        meta = doc["metadata"]
        line += f", score {doc['score']}/100, metadata {meta['points']}/{meta['max']} ({meta['rating']})"
    click.echo(line)
    for d in doc["distributions"]:
        click.echo(f"  - {d['url']}: {d['stars']} stars, declared {d['declared_format']}, "
                   f"detected {d['detected_format']}, encoding {d['encoding']}, HTTP {d['http_status']}")
    data = doc.get("data") or {}
    if data.get("tables"):
        click.echo(f"  data: {data['rows']} rows x {data['columns']} columns, {data['missing_cells']} missing cells, "
                   f"{data['duplicate_rows']} duplicate rows, {data['type_errors']} type errors")
    for f in doc["findings"]:
        ftype = FINDING_TYPES.get(f["type"])
        msg, fix = (ftype.message(lang, f.get("evidence") or {}), ftype.fix(lang, f.get("evidence") or {})) \
            if ftype else (f["message"], f["fix"])
        click.echo(f"  [{f['severity']}] {f['type']}: {msg}\n      -> {fix}")
    sys.stdout.flush()
