"""opendata assess, opendata quality show|file|publishers."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from app.cli_lang import N_, _, ngettext, pgettext, set_lang
from app.cli_lang import lang as current_lang


def register(main: click.Group) -> None:
    @main.command("assess", help=N_("Check links, archive files and assess datasets."))
    @click.option("--dataset", "slug", default=None, help=N_("one dataset by slug"))
    @click.option("--all", "all_", is_flag=True, help=N_("every active dataset"))
    @click.option("--changed", is_flag=True, help=N_("datasets changed by harvests, or never assessed"))
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def assess_cmd(obj, slug, all_, changed, as_json) -> None:
        from sqlalchemy import select

        from app.assessment import ASSESSED, changed_dataset_ids
        from app.jobs import Runtime, assess
        from catalog_schema.models import Dataset, utcnow

        if sum(bool(x) for x in (slug, all_, changed)) != 1:
            raise click.UsageError(_("give exactly one of --dataset SLUG, --all, --changed"))
        obj.require_database()
        rt = Runtime(obj.settings)
        try:
            with rt.sessionmaker() as session:
                if slug:
                    ids = list(session.scalars(select(Dataset.id).where(Dataset.slug == slug)))
                    if not ids:
                        raise click.ClickException(_("no dataset %(slug)s", slug=repr(slug)))
                    if not session.scalar(select(ASSESSED).where(Dataset.id == ids[0])):
                        raise click.ClickException(_("%(slug)s is a series: its parts are assessed, each on its own",
                                                     slug=repr(slug)))
                elif all_:
                    ids = list(session.scalars(select(Dataset.id).where(Dataset.state == "active", ASSESSED)
                                               .order_by(Dataset.slug)))
                else:
                    ids = changed_dataset_ids(rt)
            started = utcnow()
            count = assess(rt, ids)
            blocked = _blocked_hosts(rt, ids, started)
        finally:
            rt.close()
        if as_json:
            click.echo(json.dumps({"assessed": count}))
        else:
            click.echo(ngettext("assessed %(num)s dataset", "assessed %(num)s datasets", count))
        if blocked:  # the catalog's files on this machine (the demo's): the guard's refusal is not the source's fault
            click.echo(_("warning: %(n)s links were refused as private or local addresses (%(hosts)s); if this "
                         "catalog's files are served there on purpose (the demo serves them on 127.0.0.1), set "
                         "OPENDATA_ALLOW_HOSTS to them and assess again", n=sum(blocked.values()),
                         hosts=", ".join(sorted(blocked)[:5])), err=True)

    def _blocked_hosts(rt, ids: list[str], since) -> dict[str, int]:
        """The hosts whose links this run's checks refused as private or local addresses, with how many."""
        from urllib.parse import urlsplit

        from sqlalchemy import select

        from catalog_schema.models import Distribution

        out: dict[str, int] = {}
        with rt.sessionmaker() as session:
            for start in range(0, len(ids), 500):
                for url in session.scalars(select(Distribution.download_url).where(
                        Distribution.dataset_id.in_(ids[start:start + 500]), Distribution.last_checked >= since,
                        Distribution.check_error.like("refused to fetch%"))):
                    host = urlsplit(url or "").hostname or "?"
                    out[host] = out.get(host, 0) + 1
        return out

    @main.group("quality", help=N_("Quality assessments."))
    def quality_group() -> None:
        pass

    @quality_group.command("show", help=N_("The latest assessment of a dataset."))
    @click.argument("slug")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                  help=N_("Language of the findings (default: the command's, see `opendata --lang`)."))
    @click.pass_obj
    def show(obj, slug, as_json, lang) -> None:
        from sqlalchemy import select

        from app.assessment import assessment_document, latest_assessment
        from catalog_schema import series
        from catalog_schema.models import Dataset

        with obj.sessionmaker()() as session:
            ds = session.scalar(select(Dataset).where(Dataset.slug == slug))
            if ds is None:
                raise click.ClickException(_("no dataset %(slug)s", slug=repr(slug)))
            a = latest_assessment(session, ds.id)
            if a is None and ds.kind == series.SERIES:  # (assess --dataset refuses a series: no circular advice)
                raise click.ClickException(_("%(slug)s is a series: its parts are assessed, each on its own",
                                             slug=repr(slug)))
            if a is None:
                raise click.ClickException(_("%(slug)s has not been assessed yet: run `opendata assess --dataset "
                                             "%(slug)s`", slug=slug))
            doc = assessment_document(ds, a)
            state = ds.state
        if state != "active":  # on stderr, so that --json stays the document alone
            if lang:
                set_lang(lang)
            notes = {"withdrawn": _("%(slug)s is withdrawn: this is its last assessment, and the public is shown its "
                                    "tombstone (410)", slug=slug),
                     "draft": _("%(slug)s is a draft: this assessment is its publisher's, the public does not see it "
                                "yet", slug=slug),
                     "deleted": _("%(slug)s is deleted: this is its last assessment", slug=slug)}
            click.echo(notes.get(state, state), err=True)
        if as_json:
            _print_json(doc, lang)
            return
        _print_doc(doc, lang)

    @quality_group.command("file", help=N_("Assess one file without publishing it."))
    @click.argument("path_or_url")
    @click.option("--licence", "licence", default=None, help=N_("licence id, URL or CKAN id (default: none)"))
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                  help=N_("Language of the findings (default: the command's, see `opendata --lang`)."))
    @click.pass_obj
    def quality_file(obj, path_or_url, licence, as_json, lang) -> None:
        doc = assess_file(obj.settings, path_or_url, licence)
        if as_json:
            _print_json(doc, lang)
            return
        _print_doc(doc, lang)

    @quality_group.command("publishers", help=N_("The publishers' league table."))
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def publishers(obj, as_json) -> None:
        from app.assessment import publisher_table
        from app.datastore.load import root_of
        from app.jobs import Runtime

        obj.require_database()
        rt = Runtime(obj.settings)
        try:  # every publisher, and personal data counted, as the dashboard's league lists them
            rows = publisher_table(rt, every=True, store_root=root_of(obj.settings))
        finally:
            rt.close()
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        head = [_("rank"), _("publisher"), pgettext("column", "datasets"), _("avg★"), _("3★+"), _("score"),
                _("broken"), _("stale"), _("pii")]  # outside the f-string, where the extractor finds them
        # each column as wide as its header or its figures, whichever is wider; negative: left-aligned
        widths = [max(abs(w), _width(h)) * (1 if w > 0 else -1)
                  for h, w in zip(head, (4, -24, 8, 5, 5, 6, 6, 5, 4), strict=True)]
        click.echo(" ".join(_pad(h, w) for h, w in zip(head, widths, strict=True)).rstrip())
        for r in rows:
            share = "-" if r["share_3_plus"] is None else f"{r['share_3_plus']:.0%}"
            stars = "-" if r["average_stars"] is None else f"{r['average_stars']:.2f}"  # as every page says them
            cells = [_dash(r["rank"]), r["publisher"], str(r["datasets"]), stars, share,
                     _dash(r["average_score"]), str(r["broken_links"]), str(r["stale"]), str(r["pii"])]
            click.echo(" ".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)))


def assess_file(settings: dict, path_or_url: str, licence: str | None) -> dict:
    """Stars, data profile and findings of one file, as `quality file --json` prints them."""
    import datetime as dt
    import hashlib

    from app.datastore import whole as whole_scan
    from catalog_schema import vocab
    from catalog_schema.record import new_distribution, new_record
    from quality import assess as assess_mod
    from quality.fetch import CheckResult, check_url
    from quality.findings import FINDING_TYPES

    lic = vocab.licence(licence) if licence else None
    if licence and lic is None:
        click.echo(_("warning: licence %(licence)s is not recognised: it counts as not open", licence=repr(licence)),
                   err=True)
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
                raise click.ClickException(_("%(path)s: no such file", path=path_or_url))
            with path.open("rb") as fh:  # the copy's hash: what the whole-file scan is kept by (it ran on none)
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            check = CheckResult(url=path.resolve().as_uri(), status="ok", checked_at=now, http_status=200,
                                path=str(path), size=path.stat().st_size, sha256=digest)
            url = path.resolve().as_uri()
        declared = vocab.format_for_extension(path_or_url.split("?")[0])
        record = new_record(title={"": Path(path_or_url).name}, license=lic.id if lic else None,
                            license_raw=licence,
                            distributions=[new_distribution(id="file", download_url=url,
                                                            format=declared.code if declared else None)])
        # scanned whole too: personal data in another sheet, ZIP member or notes row is a finding, as on publishing
        facts = assess_mod.collect_facts(record, {"file": check}, whole=whole_scan.scanner(None))
        doc = assess_mod.assess(record, facts, now=now, dcat_violations=[])
    # a file has no catalog record to judge: the record rules' findings (metadata, timeliness) are left out
    record_slugs = {t.slug for rule in FINDING_TYPES.rules("record") for t in rule.types}
    findings = [f for f in doc["findings"] if f["type"] not in record_slugs]
    return {"file": path_or_url, "distributions": doc["distributions"], "stars": doc["stars"], "data": doc["data"],
            "findings": findings}


#: The words the web pages use (app/web/quality_view.py), from the same catalog: a rating and a severity said in
#: the command's language (they were printed as stored: "(good)", "[error]").
RATINGS = {"excellent": N_("Excellent"), "good": N_("Good"), "sufficient": N_("Sufficient"), "bad": N_("Bad")}
SEVERITY = {"error": N_("Error"), "warning": N_("Warning"), "info": N_("Information")}


def _width(text: str) -> int:
    """Terminal columns `text` takes: a Chinese character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (negative: left-aligned). Padded by characters, the zh league's
    header ran past its columns and stood askew over the figures."""
    fill = " " * max(0, abs(width) - _width(text))
    return text + fill if width < 0 else fill + text


def _dash(value) -> str:
    return "-" if value is None else str(value)


def _word(words: dict[str, str], value) -> str:
    return _(words[value]) if value in words else ("-" if value is None else str(value))


def _print_json(doc: dict, lang: str | None) -> None:
    """An assessment document as JSON, its texts for people (findings' messages and fixes, star reasons) in `lang`
    else the command's language, as the REST API gives them for ?lang= (they were English whatever --lang said)."""
    from app.web.quality_view import assessment_in

    click.echo(json.dumps(assessment_in(doc, lang or current_lang()), ensure_ascii=False, indent=1))


def _counted(data: dict) -> dict[str, str]:
    """A table's figures each with its noun in the singular or the plural ("1 type errors" was said of one)."""
    n = {key: int(data.get(key) or 0) for key in ("rows", "columns", "missing_cells", "duplicate_rows", "type_errors")}
    return {"rows": ngettext("%(num)s row", "%(num)s rows", n["rows"]),
            "columns": ngettext("%(num)s column", "%(num)s columns", n["columns"]),
            "missing_cells": ngettext("%(num)s missing cell", "%(num)s missing cells", n["missing_cells"]),
            "duplicate_rows": ngettext("%(num)s duplicate row", "%(num)s duplicate rows", n["duplicate_rows"]),
            "type_errors": ngettext("%(num)s type error", "%(num)s type errors", n["type_errors"])}


def _print_doc(doc: dict, lang: str | None) -> None:
    from app.web.quality_view import file_label
    from quality.findings import FINDING_TYPES

    if lang:  # the command's own --lang: the labels follow the findings
        set_lang(lang)
    lang = current_lang()
    title = doc.get("dataset") or doc.get("file")
    stars = ngettext("%(num)s star", "%(num)s stars", doc["stars"])
    line = f"{title}: {'★' * doc['stars']}{'☆' * (5 - doc['stars'])} ({stars})"
    if "score" in doc:
        meta = doc["metadata"]
        line += _(", score %(score)s/100, metadata %(points)s/%(max)s (%(rating)s)", score=doc["score"],
                  points=meta["points"], max=meta["max"], rating=_word(RATINGS, meta["rating"]))
    click.echo(line)
    for d in doc["distributions"]:
        said = {k: "-" if v is None else v for k, v in d.items()}
        if isinstance(d.get("stars"), int):  # "1 stars, declared PDF" in English: counted as the dataset's line is
            said.pop("stars")
            click.echo(f"  - {d['url']}: " + ngettext(
                "%(num)s star, declared %(declared_format)s, detected %(detected_format)s, encoding %(encoding)s, "
                "HTTP %(http_status)s",
                "%(num)s stars, declared %(declared_format)s, detected %(detected_format)s, encoding %(encoding)s, "
                "HTTP %(http_status)s", d["stars"], **said))
            continue
        click.echo(f"  - {d['url']}: " + _("%(stars)s stars, declared %(declared_format)s, detected "
                                           "%(detected_format)s, encoding %(encoding)s, HTTP %(http_status)s", **said))
    data = doc.get("data") or {}
    if data.get("tables") == 1:
        click.echo(_("  data: %(rows)s x %(columns)s, %(missing_cells)s, %(duplicate_rows)s, %(type_errors)s",
                     **_counted(data)))
    elif data.get("tables"):  # the sums of several tables: "72 rows x 51 columns" was no table's shape
        click.echo(_("  data, %(tables)s tables in all: %(rows)s, %(columns)s, %(missing_cells)s, %(duplicate_rows)s, "
                     "%(type_errors)s", tables=data["tables"], **_counted(data)))
    files = {d.get("id"): file_label(d.get("url")) for d in doc["distributions"]}
    several = len(doc["distributions"]) > 1
    for f in doc["findings"]:
        ftype = FINDING_TYPES.get(f["type"])
        evidence = f.get("evidence") or {}
        msg, fix = (ftype.message(lang, evidence), ftype.fix(lang, evidence)) if ftype else (f["message"], f["fix"])
        which = f" ({files[f['distribution']]})" if several and f.get("distribution") in files else ""
        click.echo(f"  [{_word(SEVERITY, f['severity'])}] {f['type']}{which}: {msg}\n      -> {fix}")
    sys.stdout.flush()
