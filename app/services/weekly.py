"""The weekly evaluation's writes: store each publisher's report of a week once, and e-mail it to the
publisher's admins (issue 17 item 3; the figures are computed by `app.weekly`).

Idempotent per week: a report that exists is kept as it is (history is never recomputed), so cron, the
scheduler and a person may all run `opendata evaluate weekly` for the same week. Sending is apart from
computing: a report whose e-mail failed keeps the failure (`send_error`, `send_attempts`) and is sent again
on the next run, to the admins it has not reached yet; a failed send never loses the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import weekly
from app.i18n import normalise
from app.mail import Mail, MailError, send
from app.services.base import service
from app.texts import join
from catalog_schema.models import Membership, Publisher, User, WeeklyReport, utcnow

#: Unsent reports this many weeks back (the one evaluated included) are retried on a run.
RETRY_WEEKS = 4

#: (report body, "zh" or "en") -> (subject, plain text, HTML): the mail in that language.
Renderer = Callable[[dict[str, Any], str], tuple[str, str, str]]


@dataclass
class SendResult:
    week: str
    publisher: str
    sent_to: list[str]
    error: str | None


def existing(session: Session, week: str) -> list[WeeklyReport]:
    """The reports of `week` already stored."""
    return list(session.scalars(select(WeeklyReport).where(WeeklyReport.week == weekly.parse_week(week))))


@service
def evaluate_week(session: Session, week: str, *, now: dt.datetime | None = None,
                  store_root=None) -> list[WeeklyReport]:
    """The reports of `week`, one per publisher: those missing are computed and stored, those there kept.
    `store_root`: the row store's folder, whose kept whole-file scans count as personal data for a dataset last
    assessed under an earlier rule set (`weekly.personal_data`, as the dashboard counts it). The caller commits."""
    week = weekly.parse_week(week)
    now = now or utcnow()
    have = {r.publisher_id: r for r in session.scalars(select(WeeklyReport).where(WeeklyReport.week == week))}
    missing = [p for p in session.scalars(select(Publisher).order_by(Publisher.slug)) if p.id not in have]
    if missing:
        prev_week = weekly.previous_week(week)
        previous = {r.publisher_id: r.body for r in session.scalars(
            select(WeeklyReport).where(WeeklyReport.week == prev_week))}
        items = weekly.snapshot(session, week)
        personal = weekly.personal_data(session, items, store_root=store_root)
        for pub in missing:
            body = weekly.compute(pub, week, items.get(pub.id, []), previous.get(pub.id), now=now,
                                  personal=personal)
            report = WeeklyReport(week=week, publisher_id=pub.id, created_at=now, body=body, recipients=[],
                                  send_attempts=0)
            session.add(report)
            have[pub.id] = report
        session.flush()
    return sorted(have.values(), key=lambda r: r.body["publisher"]["slug"])


def admins(session: Session, publisher_id: int, default_lang: str) -> list[tuple[str, str]]:
    """(e-mail, "zh" or "en") of the publisher's active admins, in their own language when they chose one."""
    rows = session.execute(select(User.email, User.locale).join(Membership, Membership.user_id == User.id)
                           .where(Membership.publisher_id == publisher_id, Membership.role == "admin",
                                  User.active.is_(True)).order_by(User.email)).all()
    out = []
    for email, locale in rows:
        chosen = normalise(locale) or normalise(default_lang) or "zh_CN"
        out.append((email, "zh" if chosen.startswith("zh") else "en"))
    return out


@service
def send_reports(session: Session, settings: Mapping[str, Any], render: Renderer, week: str,
                 *, now: dt.datetime | None = None) -> list[SendResult]:
    """E-mail the reports of `week` and the still unsent ones of the RETRY_WEEKS - 1 weeks before it, each
    to its publisher's admins not yet reached, one message per language. Commits after each report, so a
    crash halfway sends nobody the same report twice."""
    week = weekly.parse_week(week)
    weeks = [week]
    for _ in range(RETRY_WEEKS - 1):
        weeks.append(weekly.previous_week(weeks[-1]))
    pending = session.scalars(select(WeeklyReport).where(WeeklyReport.week.in_(weeks),
                                                         WeeklyReport.sent_at.is_(None))
                              .order_by(WeeklyReport.week, WeeklyReport.id)).all()
    results = []
    for report in pending:
        before = report.send_error
        result = _send_one(session, settings, render, report, now or utcnow())
        session.commit()
        if result.error == NO_ADMIN and before == NO_ADMIN:
            continue  # said once: an hourly cron printed all 82 publishers' "no admin" on every run
        results.append(result)
    return results


#: Why a report was not sent that no retry changes until an admin is invited (said once, not on every run).
NO_ADMIN = "the publisher has no admin to send the report to"


def _send_one(session: Session, settings: Mapping[str, Any], render: Renderer, report: WeeklyReport,
              now: dt.datetime) -> SendResult:
    slug = report.body["publisher"]["slug"]
    reached = set(report.recipients or [])
    todo = [(email, lang) for email, lang in admins(session, report.publisher_id, settings.get("DEFAULT_LOCALE"))
            if email not in reached]
    if not todo:
        if reached:  # every admin had it already (one was removed since): done
            report.sent_at = report.sent_at or now
            report.send_error = None
            return SendResult(report.week, slug, [], None)
        report.send_error = NO_ADMIN
        return SendResult(report.week, slug, [], report.send_error)
    sent_to: list[str] = []
    errors: list[str] = []
    report.send_attempts = (report.send_attempts or 0) + 1
    for lang in sorted({lang for _email, lang in todo}):
        to = tuple(email for email, lang_ in todo if lang_ == lang)
        subject, text, html = render(report.body, lang)
        try:
            send(settings, Mail(to, subject, text, html=html))
        except MailError as exc:
            errors.append(exc.args[0] if exc.args else str(exc))  # a Text: the command line says it in zh
            continue
        sent_to += to
    report.recipients = sorted(reached | set(sent_to))
    if errors:
        error = join("; ", errors)
        report.send_error = str(error)  # kept in English, as the log says it
    else:
        error = report.send_error = None
        report.sent_at = now
    return SendResult(report.week, slug, sent_to, error)
