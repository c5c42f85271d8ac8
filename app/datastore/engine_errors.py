"""DuckDB's errors as sentences of ours (issue 17, "Every string in zh and en").

DuckDB says why a query failed in English ("Binder Error: Referenced column "nope" not found in FROM clause!").
Quoted whole inside a Chinese sentence it stays English, so the errors a client meets most often are
recognised here and said as a `Text` of our own that keeps the specific part DuckDB named: the column, the
table, the value, the type, the token and the position (line, column) of the caret DuckDB draws under the
query. What is not recognised keeps DuckDB's first line as a detail inside our sentence, as before.

The patterns follow DuckDB's wording (1.x and 2.0); a change of wording falls back to the detail, never fails.
"""

from __future__ import annotations

import re

from app.texts import T_, Text

#: DuckDB's prefix for each class of error ("Binder Error: ..."); the vetting parser's messages come without one.
_PREFIX = re.compile(r"^(?:[A-Z][A-Za-z ]*? Error|INTERNAL Error): ")
_LINE = re.compile(r"^LINE (\d+): (.*)$")
_Q = r'("[^"\n]*"|\'[^\'\n]*\')'  # a name or value as DuckDB quotes it

#: The kinds of value a date/time conversion names ("invalid date field format").
_KINDS = {"date": T_("date"), "time": T_("time"), "timestamp": T_("timestamp"), "interval": T_("interval")}


def _position(message: str) -> Text | str:
    """" (line 1, column 8)" from the line DuckDB quotes and its caret, or "" when it drew none (or cut the
    quoted line, which then no longer starts where the query's does)."""
    lines = message.splitlines()
    for i, line in enumerate(lines[:-1]):
        found = _LINE.match(line)
        caret = lines[i + 1]
        if found and caret.strip().startswith("^"):
            shown = found.group(2)
            column = len(caret) - len(caret.lstrip()) - (len(line) - len(shown)) + 1
            if shown.startswith("...") or column < 1:
                return T_(" (line %(line)s)", line=found.group(1))
            return T_(" (line %(line)s, column %(column)s)", line=found.group(1), column=column)
    return ""


def _first_line(message: str) -> str:
    lines = message.strip().splitlines()
    return _PREFIX.sub("", lines[0])[:500] if lines else ""


def explain(message: str, *, memory_limit: str | None = None) -> Text | None:
    """Our sentence for DuckDB's `message` (the whole text of its exception), or None when its kind is not one
    recognised here."""
    head = _first_line(message)
    at = _position(message)
    if m := re.match(r'syntax error at or near (.+)$', head):
        return T_("Syntax error at or near %(token)s%(at)s.", token=m.group(1), at=at)
    if head.startswith("syntax error at end of input"):
        return T_("Syntax error: the query ends too early%(at)s.", at=at)
    if head.startswith(("unterminated quoted string", "unterminated string literal")):
        return T_("A quoted text is not closed%(at)s.", at=at)
    if head.startswith("unterminated quoted identifier"):
        return T_("A quoted name is not closed%(at)s.", at=at)
    if m := re.match(r'Referenced column ' + _Q + r' not found', head):
        candidates = re.search(r"^Candidate bindings: :? ?(.+)$", message, re.M)
        if candidates:
            return T_("No column %(name)s in the tables the query reads%(at)s; did you mean %(candidates)s?",
                      name=m.group(1), at=at, candidates=candidates.group(1).strip()[:200])
        return T_("No column %(name)s in the tables the query reads%(at)s.", name=m.group(1), at=at)
    if m := re.match(r'Table ' + _Q + r' does not have a column named ' + _Q, head):
        return T_("Table %(table)s has no column %(name)s%(at)s.", table=m.group(1), name=m.group(2), at=at)
    if m := re.match(r'column ' + _Q + r' must appear in the GROUP BY clause', head):
        return T_("Column %(name)s must be in the GROUP BY list or inside an aggregate function%(at)s.",
                  name=m.group(1), at=at)
    if m := re.match(r'Ambiguous reference to column name ' + _Q, head):
        return T_("Column name %(name)s is ambiguous%(at)s: write its table's name before it.", name=m.group(1),
                  at=at)
    if m := re.match(r"No function matches the given name and argument types '(.+?)'\.", head):
        return T_("Function %(call)s does not take arguments of these types%(at)s: convert them with "
                  "CAST(value AS type).", call=m.group(1), at=at)
    if m := re.match(r'(?:Scalar |Aggregate |Table |Pragma )?Function with name (\S+) does not exist', head):
        return T_("There is no function named %(name)s%(at)s.", name=m.group(1), at=at)
    if m := re.match(r'Table with name (\S+) does not exist', head):
        return T_("There is no table named %(name)s%(at)s.", name=m.group(1), at=at)
    if m := re.match(r"Could not convert string " + _Q + r" to (\w+)(?: when casting from source column (\S+))?",
                     head):
        if m.group(3):
            return T_("Value %(value)s of column %(column)s cannot be converted to %(type)s%(at)s.",
                      value=m.group(1), column=f'"{m.group(3)}"', type=m.group(2), at=at)
        return T_("Value %(value)s cannot be converted to %(type)s%(at)s.", value=m.group(1), type=m.group(2),
                  at=at)
    if m := re.match(r'invalid (\w+) field format: ' + _Q + r', expected format is \((.+)\)$', head):
        kind = _KINDS.get(m.group(1).lower(), m.group(1))
        return T_("%(value)s is not a valid %(kind)s: write it as %(format)s%(at)s.", value=m.group(2),
                  kind=kind, format=m.group(3), at=at)
    if head.startswith("More than one row returned by a subquery used as an expression"):
        return T_("A subquery used as a value returned more than one row%(at)s.", at=at)
    if m := re.match(r"Overflow in \w+ of (\w+) \((.+)\)!?$", head):
        return T_("The result of %(expr)s is too large for %(type)s.", expr=m.group(2), type=m.group(1))
    if message.startswith("Out of Range Error: "):
        return T_("A number is out of its type's range (%(detail)s).", detail=head)
    if message.startswith("Out of Memory Error: "):
        if memory_limit:
            return T_("The query needs more than the %(limit)s of memory it may use: read fewer rows or columns, "
                      "or aggregate them.", limit=memory_limit)
        return T_("The query needs more memory than it may use: read fewer rows or columns, or aggregate them.")
    if message.startswith("Conversion Error: "):
        return T_("A value cannot be converted to the type needed (%(detail)s).", detail=head)
    return None


def detail(message: str) -> str:
    """DuckDB's own first line, its class prefix left out: the detail our generic sentences quote."""
    return _first_line(message)


__all__ = ["detail", "explain"]
