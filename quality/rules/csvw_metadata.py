"""`csvw-metadata-unusable`: a distribution is CSV on the Web metadata, but no CSV of the dataset can be judged by it.

The metadata does not parse as JSON, names no table, has a URI template that is not one, keeps its table schema in
another document (not fetched), names a file that is not a CSV of this dataset, or describes another number of
columns than the CSV has (quality.csvw). The CSV it meant keeps the stars its own bytes earn; the finding, on the
metadata's distribution, says what to correct.
"""

from __future__ import annotations

from typing import Any

from quality.findings import Finding, FindingType, Rule, make_finding

TYPE = FindingType(
    "csvw-metadata-unusable", "warning", "CSVW metadata cannot be used", "CSVW 元数据无法使用",
    "Correct the CSV on the Web metadata so that it is valid JSON whose url names a CSV of this dataset and whose "
    "table schema, in the same document, describes that CSV's columns; a CSV it describes can then earn four or "
    "five stars.",
    "请修正 CSV on the Web 元数据：应为有效的 JSON，其 url 指向本数据集的 CSV 文件，"
    "并在同一文档中用表结构描述该 CSV 的各列；这样它所描述的 CSV 才能获得四星或五星。",
    message_en="The CSV on the Web metadata at {url} cannot be used: {why}.",
    message_zh="{url} 的 CSV on the Web 元数据无法使用：{why_zh}。",
)

#: Each reason in words (English, Chinese), filled from the problem's detail and format.
REASONS: dict[str, tuple[str, str]] = {
    "json": ("it is not valid JSON ({detail})", "它不是有效的 JSON（{detail}）"),
    "no-table": ("it names no table (no {detail})", "它没有指明任何表格（缺少 {detail}）"),
    "not-object": ("{detail} is not a JSON object", "{detail} 不是 JSON 对象"),
    "template": ("\"{detail}\" is not a valid URI template", "“{detail}”不是有效的 URI 模板"),
    "schema-elsewhere": ("its table schema is in another document ({detail}), which is not fetched; put the schema "
                         "in the metadata itself",
                         "其表结构位于另一文档（{detail}），门户不会获取；请将表结构写入元数据本身"),
    "names-no-file": ("the table it describes, {detail}, is not a file of this dataset",
                      "它描述的表格 {detail} 不是本数据集的文件"),
    "not-csv": ("the file it describes, {detail}, is {format}, not a CSV",
                "它描述的文件 {detail} 是 {format}，不是 CSV"),
    "columns": ("it describes another number of columns than the CSV has (described/in the file: {detail})",
                "它描述的列数与 CSV 的列数不同（描述的/文件中的：{detail}）"),
    "too-large": ("it is larger than the 4 MB CSVW metadata is read up to ({detail} bytes)",
                  "其大小超过读取 CSVW 元数据的上限 4 MB（{detail} 字节）"),
    "unreadable": ("the CSV it describes, {detail}, could not be read as a table",
                   "它描述的 CSV {detail} 无法作为表格读取"),
}


def check(problem: dict[str, Any] | None, url: str | None, distribution: str | None = None) -> list[Finding]:
    """The finding for CSVW metadata that could not be used (`problem`: quality.csvw.described's reason, detail)."""
    if not problem:
        return []
    words = REASONS.get(problem.get("reason") or "", ("{detail}", "{detail}"))
    values = {"detail": problem.get("detail") or "", "format": problem.get("format") or "?"}
    return [make_finding(TYPE.slug, distribution=distribution, url=url or "(no URL)", **problem,
                         why=words[0].format(**values), why_zh=words[1].format(**values))]


RULE = Rule(TYPE.slug, (TYPE,), subject="distribution", check=check)
