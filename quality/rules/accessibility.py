"""The accessibility part of the overall score: the share of distributions whose link answers.

A broken link is `link-broken`'s finding (the stars rule); this rule only weighs it.
"""

from __future__ import annotations

from quality.findings import Rule

ANSWERED = ("ok", "unchanged")


def score(distributions: list[dict]) -> float:
    """Share of the assessed distributions (``check_status``) whose link answered; 0.0 when there are none."""
    if not distributions:
        return 0.0
    return sum(1 for d in distributions if d["check_status"] in ANSWERED) / len(distributions)


RULE = Rule("accessibility", subject="score", part="accessibility", weight=15,
            measure="share of distributions whose link answers", check=score)
