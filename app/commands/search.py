"""opendata search reindex|status: the machine's search index (catalog_schema/search.py; docs/architecture.md)."""

from __future__ import annotations

import time

import click

from app.cli_lang import N_, _


def register(main: click.Group) -> None:
    @main.group("search", help=N_("The search index of this machine (SEARCH_INDEX_DIR), rebuilt from the database."))
    def search_group() -> None:
        pass

    @search_group.command("reindex", help=N_("Rebuild the index from the database. Servers keep answering from the "
                                             "old one meanwhile and switch to the new one when it is complete "
                                             "(within SEARCH_REFRESH_SECONDS)."))
    @click.option("--batch", default=2000, show_default=True, help=N_("datasets read from the database at a time"))
    @click.pass_obj
    def reindex(obj, batch: int) -> None:
        from catalog_schema import search

        began = time.perf_counter()
        state = {"shown": -1.0}

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if done >= total or now - state["shown"] >= 1.0:
                state["shown"] = now
                rate = done / max(now - began, 1e-9)
                pct = 100.0 * done / total if total else 100.0
                click.echo(_("  %(done)s/%(total)s datasets (%(pct)s%%), %(rate)s/s", done=f"{done:,}",
                             total=f"{total:,}", pct=f"{pct:.0f}", rate=f"{rate:,.0f}"))

        with obj.sessionmaker()() as session:
            click.echo(_("reindexing into %(folder)s", folder=search.index_for(session).directory))
            n = search.reindex_all(session, batch=batch, progress=progress)
            stats = search.index_for(session).stats()
        size = _(", %(mb)s MB", mb=f"{stats['bytes'] / 1e6:.1f}") if stats.get("bytes") is not None else ""
        click.echo(_("indexed %(n)s datasets in %(seconds)s s%(size)s (generation %(generation)s)", n=f"{n:,}",
                     seconds=f"{time.perf_counter() - began:.1f}", size=size, generation=stats["generation"]))

    @search_group.command("status", help=N_("What the index holds and how far it has followed the database's "
                                            "change log."))
    @click.pass_obj
    def status(obj) -> None:
        from sqlalchemy import text

        from catalog_schema import search

        with obj.sessionmaker()() as session:
            idx = search.index_for(session)
            idx.searcher(session)  # opens (or builds) it and catches up
            stats = idx.stats()
            latest = session.scalar(text("SELECT coalesce(max(seq), 0) FROM search_changes"))
        size = _(", %(mb)s MB", mb=f"{stats['bytes'] / 1e6:.1f}") if stats.get("bytes") is not None else ""
        click.echo(_("folder: %(folder)s\ngeneration: %(generation)s\ndocuments: %(documents)s in %(segments)s "
                     "segments%(size)s\nchange log: applied up to %(cursor)s, latest %(latest)s", folder=idx.directory,
                     generation=stats["generation"], documents=f"{stats['documents']:,}", segments=stats["segments"],
                     size=size, cursor=stats["cursor"], latest=latest))
