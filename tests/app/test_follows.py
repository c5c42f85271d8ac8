"""Following and digests (issue 18 item 1): a signed-in reader follows a dataset, a publisher or a search with
CSRF-protected forms, sees and changes them on the account page, and receives one e-mail digest of the public
changes since the last one from a real local SMTP server (aiosmtpd), in their language; on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

from click.testing import CliRunner
from sqlalchemy import select

from app.commands.digest import run_digests
from app.services import follows
from app.services.context import Actor
from catalog_schema.models import Follow, User, utcnow
from tests.support import activity as history
from tests.support.accounts import csrf_from, make_user, sign_in
from tests.support.smtp import SmtpServer

READER = "reader@example.org"


def _form(client, url: str) -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def _follow(client, page: str, **data):
    return client.post("/follow", data={"csrf_token": _form(client, page), "next": page, **data})


def _account(client) -> str:
    return client.get("/account?lang=en").get_data(as_text=True)


def _follow_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="follow-(\d+)">', html)


def test_follow_unfollow_and_choose_the_digest_on_the_account_page(app, client):
    history.build(app)
    make_user(app, READER)
    other = make_user(app, "other@example.org")
    # anonymous readers get no follow button and are sent to sign in
    assert 'id="follow-button"' not in client.get("/dataset/bus-stops").get_data(as_text=True)
    token = _form(client, "/login")
    resp = client.post("/follow", data={"csrf_token": token, "kind": "dataset", "ref": "bus-stops"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]

    sign_in(client, READER)
    assert "You follow nothing yet" in _account(client)
    resp = _follow(client, "/dataset/bus-stops", kind="dataset", ref="bus-stops")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/dataset/bus-stops")
    page = client.get("/dataset/bus-stops?lang=en").get_data(as_text=True)
    assert 'id="unfollow-button"' in page and 'id="follow-button"' not in page
    assert _follow(client, "/publisher/agency-a", kind="publisher", ref="agency-a").status_code == 302
    search_page = "/dataset?q=air&publisher=agency-a"
    assert 'id="follow-button"' in client.get(search_page).get_data(as_text=True)
    assert _follow(client, search_page, kind="search", q="air", fq='organization:"agency-a"',
                   period="daily").status_code == 302
    # a draft is not followed by a reader who cannot see it; nor an unknown publisher; nor a bad search
    assert _follow(client, "/account", kind="dataset", ref="secret-draft").status_code == 404
    assert _follow(client, "/account", kind="publisher", ref="nobody").status_code == 404
    assert _follow(client, "/account", kind="search", fq="nonsense:x").status_code == 422
    # without the CSRF token nothing happens
    assert client.post("/follow", data={"kind": "publisher", "ref": "agency-a"}).status_code == 400

    html = _account(client)
    rows = _follow_rows(html)
    assert len(rows) == 3
    assert 'href="/dataset/bus-stops">Bus stops</a>' in html and 'href="/publisher/agency-a"' in html
    assert "air organization:&#34;agency-a&#34;" in html or 'air organization:"agency-a"' in html
    with app.extensions["opendata"]["sessionmaker"]() as s:
        mine = {f.kind: f for f in s.scalars(select(Follow))}
        assert mine["dataset"].period == "weekly" and mine["search"].period == "daily"  # the default, and chosen
    resp = client.post(f"/follow/{mine['dataset'].id}/period", data={"csrf_token": _form(client, "/account"),
                                                                     "period": "daily"})
    assert resp.status_code == 302
    assert re.search(rf'id="period-{mine["dataset"].id}".*?<option value="daily" selected>', _account(client),
                     re.S)
    assert client.post(f"/follow/{mine['dataset'].id}/period",
                       data={"csrf_token": _form(client, "/account"), "period": "hourly"}).status_code == 422
    zh = client.get("/account?lang=zh_CN").get_data(as_text=True)
    assert "我的关注" in zh and "每日" in zh and "取消关注" in zh

    # nobody else's follow can be changed or removed
    with app.extensions["opendata"]["sessionmaker"]() as s:
        theirs = follows.follow(Actor(s, s.get(User, other), "test"), "publisher", "agency-a")
        theirs_id = theirs.id
    assert client.post(f"/follow/{theirs_id}/unfollow",
                       data={"csrf_token": _form(client, "/account")}).status_code == 404
    assert client.post(f"/follow/{mine['search'].id}/unfollow",
                       data={"csrf_token": _form(client, "/account")}).status_code == 302
    assert len(_follow_rows(_account(client))) == 2
    with app.extensions["opendata"]["sessionmaker"]() as s:
        assert s.get(Follow, theirs_id) is not None and s.get(Follow, mine["search"].id) is None


def _reader(app, email: str, locale: str) -> int:
    user_id = make_user(app, email)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        s.get(User, user_id).locale = locale
        s.commit()
    return user_id


def _follows(app, user_id: int, *specs) -> None:
    with app.extensions["opendata"]["sessionmaker"]() as s:
        actor = Actor(s, s.get(User, user_id), "test")
        for kind, ref, kw in specs:
            follows.follow(actor, kind, ref, **kw)


def test_digests_reach_each_follower_once_in_their_language(app):
    history.make_user(app, history.EDITOR, editor_of="agency-a")
    zh_reader = _reader(app, "zhang@example.org", "zh_CN")
    en_reader = _reader(app, "lee@example.org", "en")
    _follows(app, zh_reader, ("publisher", "agency-a", {}))  # weekly, the default
    history.make(app, "bus-stops", "Bus stops")  # published before the dataset can be followed by the public
    _follows(app, en_reader, ("dataset", "bus-stops", {"period": "daily"}),
             ("search", None, {"q": "air", "period": "daily"}))
    history.update(app, "bus-stops", "Every stop of every line")
    history.make(app, "secret-draft", "Secret draft", publish=False)
    history.update(app, "secret-draft", "Still a draft")
    history.make(app, "air", "Air quality")
    history.withdraw(app, "air")

    settings = dict(app.config["OPENDATA"], SITE_URL="https://data.example.gov.cn")
    later = utcnow() + dt.timedelta(days=8)
    with SmtpServer() as smtp:
        summary = run_digests({**settings, **smtp.settings()}, now=later)
        assert [r["to"] for r in summary["daily"]] == ["lee@example.org"]
        assert [r["to"] for r in summary["weekly"]] == ["zhang@example.org"]
        assert len(smtp.messages) == 2
        by_to = {m["To"]: m for m in smtp.messages}

        zh = by_to["zhang@example.org"]
        assert zh["Subject"] == "您的摘要：您关注的内容有 4 项变更"
        text = zh.get_body(("plain",)).get_content()
        assert "发布部门：agency-a" in text
        assert "撤回：Air quality（中文）（agency-a，" in text and "更新：Bus stops（中文）" in text
        assert text.count("新发布：") == 2
        assert "Secret draft" not in text and "secret-draft" not in text  # a draft's edits are nobody's news
        assert "https://data.example.gov.cn/dataset/bus-stops" in text
        assert "https://data.example.gov.cn/account" in text
        html = zh.get_body(("html",)).get_content()
        assert '<a href="https://data.example.gov.cn/dataset/air">Air quality（中文）</a>' in html
        for part in (text, re.sub(r"<[^>]+>", "", html)):  # Chinese punctuation, as the pages have it
            assert not re.findall(r".{0,8}(?:[\u4e00-\u9fff）][:;,]\s|[：。，][ \t]).{0,8}", part), part

        en = by_to["lee@example.org"]
        assert en["Subject"] == "Your digest: 3 changes in what you follow"
        text = en.get_body(("plain",)).get_content()
        # the dataset's update (its publication came before the follow), and the search's two changes of air
        assert "Dataset: Bus stops" in text and "Updated: Bus stops" in text
        assert "Newly published: Bus stops" not in text
        assert "Search: air" in text and "Withdrawn: Air quality" in text and "Newly published: Air quality" in text

        # sent once: the next run has nothing due
        again = run_digests({**settings, **smtp.settings()}, now=later)
        assert again == {"daily": [], "weekly": []} and len(smtp.messages) == 2

        # a day later only what changed since the last digest, to the daily follower only
        mark = utcnow()
        history.update(app, "bus-stops", "Every stop, with shelters")
        next_day = later + dt.timedelta(days=1, minutes=1)
        history_rows = run_digests({**settings, **smtp.settings()}, now=next_day)
        assert [r["to"] for r in history_rows["daily"]] == ["lee@example.org"] and not history_rows["weekly"]
        assert len(smtp.messages) == 2  # the update happened before `later`: nothing new after it

        # a refused recipient: nothing moves, the next run sends the same changes
        smtp.handler.refuse.add("zhang@example.org")
        week_later = later + dt.timedelta(days=7, minutes=1)
        with app.extensions["opendata"]["sessionmaker"]() as s:
            row = s.scalar(select(Follow).where(Follow.user_id == zh_reader))
            row.last_sent_at = mark  # as if its last digest went just before the update above
            s.commit()
        failed = run_digests({**settings, **smtp.settings()}, ("weekly",), now=week_later)
        assert failed["weekly"][0]["error"] and not failed["weekly"][0]["sent"]
        smtp.handler.refuse.clear()
        retried = run_digests({**settings, **smtp.settings()}, ("weekly",), now=week_later)
        assert retried["weekly"][0]["sent"] and retried["weekly"][0]["changes"] == 1
        assert smtp.messages[-1]["To"] == "zhang@example.org"
        assert "更新：Bus stops（中文）" in smtp.messages[-1].get_body(("plain",)).get_content()


def test_the_digest_command(app, monkeypatch):
    history.make_user(app, history.EDITOR, editor_of="agency-a")
    reader = _reader(app, "lee@example.org", "en")
    _follows(app, reader, ("publisher", "agency-a", {"period": "daily"}))
    history.make(app, "bus-stops", "Bus stops")
    with app.extensions["opendata"]["sessionmaker"]() as s:
        row = s.scalar(select(Follow))
        row.created_at = utcnow() - dt.timedelta(days=2)  # made two days ago: due
        s.commit()
    from app.cli import main

    with SmtpServer() as smtp:
        for key, value in {**app.config["OPENDATA"], **smtp.settings()}.items():
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                monkeypatch.setenv(f"OPENDATA_{key}", str(value))
        result = CliRunner().invoke(main, ["digest", "send", "--period", "weekly"])
        assert result.exit_code == 0, result.output
        assert "weekly: 0 digests sent, 0 users due" in result.output and not smtp.messages
        smtp.handler.refuse.add("lee@example.org")  # a failed send: --json exited 0 where the text said 1
        refused = CliRunner().invoke(main, ["digest", "send", "--period", "daily", "--json"])
        assert refused.exit_code == 1 and '"sent": false' in refused.output, refused.output
        smtp.handler.refuse.clear()
        result = CliRunner().invoke(main, ["digest", "send", "--period", "daily", "--json"])
        assert result.exit_code == 0, result.output
        assert '"sent": true' in result.output
        assert [m["To"] for m in smtp.messages] == ["lee@example.org"]
        assert "Newly published: Bus stops" in smtp.messages[0].get_body(("plain",)).get_content()


def test_the_scheduler_sends_the_digests_that_are_due(app):
    """Celery beat names the task, and the task (run in-process, as a worker would) sends what is due once;
    `DIGESTS` off, it sends nothing."""
    from app import celery_app
    from app.celery_app import make_celery

    history.make_user(app, history.EDITOR, editor_of="agency-a")
    reader = _reader(app, "lee@example.org", "en")
    _follows(app, reader, ("publisher", "agency-a", {"period": "daily"}))
    history.make(app, "bus-stops", "Bus stops")
    with app.extensions["opendata"]["sessionmaker"]() as s:
        s.scalar(select(Follow)).created_at = utcnow() - dt.timedelta(days=2)
        s.commit()
    with SmtpServer() as smtp:
        try:
            off = make_celery({**app.config["OPENDATA"], **smtp.settings(), "BROKER_URL": "memory://",
                               "DIGESTS": False})
            assert off.tasks["opendata.digests"].apply().get() is None and not smtp.messages
            celery_app._runtime.close()
            celery_app._runtime = None
            celery = make_celery({**app.config["OPENDATA"], **smtp.settings(), "BROKER_URL": "memory://"})
            assert celery.conf.beat_schedule["digests"]["task"] == "opendata.digests"
            task = celery.tasks["opendata.digests"]
            assert [r["sent"] for r in task.apply().get()["daily"]] == [True]
            assert task.apply().get() == {"daily": [], "weekly": []}
            assert [m["To"] for m in smtp.messages] == ["lee@example.org"]
        finally:
            if celery_app._runtime is not None:  # the worker's runtime, on this test's database: not for the next
                celery_app._runtime.close()
                celery_app._runtime = None


def test_a_refused_follow_says_why_in_the_readers_language(app):
    """The follows service's refusals are texts of the catalog, said in Chinese to a Chinese reader (they were
    English sentences whatever the door's language)."""
    from app.cli_lang import gettext
    from app.services.errors import ServiceError
    from app.texts import say

    history.build(app)
    make_user(app, READER)
    with app.extensions["opendata"]["sessionmaker"]() as s:
        actor = Actor(s, s.scalar(select(User).where(User.email == READER)), "test")
        said = []
        for call in (lambda: follows.follow(actor, "dataset", "bus-stops", period="hourly"),
                     lambda: follows.follow(actor, "dataset", "no-such-dataset"),
                     lambda: follows.follow(actor, "search", None, q="air", fq="organization:("),
                     lambda: follows.follow(actor, "theme", "ENVI"),
                     lambda: follows.unfollow(actor, 10**9)):
            try:
                call()
            except ServiceError as exc:
                said.append(say(exc.message, lambda m: gettext(m, "zh")))
        assert len(said) == 5
        for text in said:
            assert re.search(r"[\u4e00-\u9fff]", text), text
        assert "no-such-dataset" in said[1]
