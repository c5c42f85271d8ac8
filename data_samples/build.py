"""Build the demo government of Jinghai (京海市): department files, sample sources, expectations.

Why a script: every file under data_samples/ (except the real files copied unchanged
from the shared fixtures, see SOURCES.md) is written here from fixed seeds and fixed
dates, so the samples can be rebuilt byte for byte and reviewed as code. The test
tests/test_data_samples.py rebuilds into a temporary folder and compares.

Run:  .venv/bin/python data_samples/build.py [--real FOLDER]   (FOLDER: where the real files' upstream copies are;
      without it the committed copies are kept)

All personal data in the complaints file (names, identity numbers, phone numbers,
e-mail addresses, bank card numbers) is FABRICATED: random digits with valid check
digits, e-mail addresses on reserved example domains. The city, its departments and
the domain jinghai.example (reserved by RFC 2606) are fictional.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import re
import shutil
import sys
import unicodedata
import uuid
import zipfile
from datetime import datetime
from pathlib import Path

# openpyxl serialises with lxml when lxml is installed (a test dependency brings it) and with the standard
# library otherwise; the two write different bytes. The committed XLSX is the standard library's: pin it,
# before openpyxl is imported, so the build gives the same file on every machine.
os.environ["OPENPYXL_LXML"] = "False"

ROOT = Path(__file__).resolve().parent
FILES_BASE = "http://127.0.0.1:5001/"
DOMAIN = "jinghai.example"
DATA_NS = f"http://data.{DOMAIN}/"
#: The fictional city's extent (around its bus stops, files/jh-transport/bus-stops.geojson): W S E N in WKT.
JINGHAI_BBOX_WKT = "POLYGON ((118.9 34.3, 119.7 34.3, 119.7 34.9, 118.9 34.9, 118.9 34.3))"
UUID_NS = uuid.UUID("6f1c2b4e-9a53-4c1e-8d0b-4a6e5f2c7b11")
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
EU = "http://publications.europa.eu/resource/authority/"

# Real files copied unchanged: destination under files/ -> (name in the shared fixtures, what it is).
REAL_FILES = {
    "jh-stats/nbs_gdp_20y_gbk.csv": (
        "nbs_gdp_20y_gbk.csv", "国家统计局 分省年度数据, 地区生产总值, 最近20年 (GBK, CRLF)"),
    "jh-stats/nbs_gdp_by_province_gbk.csv": (
        "nbs_gdp_by_province_gbk.csv", "国家统计局 分省年度数据, 地区生产总值, 1993-2017 (GBK)"),
    "jh-environment/sister-city-temperatures.xls": (
        "messytables_simple.xls", "okfn/messytables horror/simple.xls: temperatures in Galway and Berkeley (BIFF8)"),
}

FORMATS = {  # code: (EU file type, media type, CKAN format label)
    "CSV": ("CSV", "text/csv", "CSV"),
    "JSON": ("JSON", "application/json", "JSON"),
    "GEOJSON": ("GEOJSON", "application/geo+json", "GeoJSON"),
    "XLSX": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "XLS": ("XLS", "application/vnd.ms-excel", "XLS"),
    "ODS": ("ODS", "application/vnd.oasis.opendocument.spreadsheet", "ODS"),
    "PDF": ("PDF", "application/pdf", "PDF"),
    "XML": ("XML", "application/xml", "XML"),
    "RDF_TURTLE": ("RDF_TURTLE", "text/turtle", "TTL"),
}

LICENCES = {  # SPDX id: (CKAN id, CKAN title, URL)
    "CC-BY-4.0": ("cc-by", "Creative Commons Attribution", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-NC-4.0": ("cc-nc", "Creative Commons Non-Commercial (Any)",
                     "https://creativecommons.org/licenses/by-nc/4.0/"),
}

IANA = "http://www.iana.org/assignments/media-types/"
# High-value datasets (DCAT-AP HVD): the category of the EU HVD vocabulary and the regulation's ELI.
HVD_EARTH_OBSERVATION = "http://data.europa.eu/bna/c_dd313021"
HVD_LABELS = {HVD_EARTH_OBSERVATION: ("Earth observation and environment", "地球观测与环境")}
HVD_LEGISLATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"
THEME_LABELS = {"ECON": ("Economy and finance", "经济和金融"), "ENVI": ("Environment", "环境"),
                "GOVE": ("Government and public sector", "政府和公共部门"), "HEAL": ("Health", "卫生"),
                "INTR": ("International issues", "国际"), "JUST": ("Justice, legal system and public safety", "司法"),
                "SOCI": ("Population and society", "人口和社会"), "TRAN": ("Transport", "交通")}

FREQ_ISO = {"ANNUAL": "R/P1Y", "MONTHLY": "R/P1M", "IRREG": "irregular"}

PUBLISHERS = [
    {"slug": "jh-gov-office", "name": {"zh": "京海市人民政府办公厅",
                                       "en": "General Office of Jinghai Municipal People's Government"},
     "homepage": f"https://www.{DOMAIN}/", "email": f"opendata@{DOMAIN}", "parent": None,
     "contact": "京海市人民政府办公厅政务公开处"},
    {"slug": "jh-stats", "name": {"zh": "京海市统计局", "en": "Jinghai Municipal Bureau of Statistics"},
     "homepage": f"https://stats.{DOMAIN}/", "email": f"data@stats.{DOMAIN}", "parent": "jh-gov-office",
     "contact": "京海市统计局综合处"},
    {"slug": "jh-transport", "name": {"zh": "京海市交通委员会", "en": "Jinghai Municipal Transport Commission"},
     "homepage": f"https://jtw.{DOMAIN}/", "email": f"data@jtw.{DOMAIN}", "parent": "jh-gov-office",
     "contact": "京海市交通委员会信息中心"},
    {"slug": "jh-environment", "name": {"zh": "京海市生态环境局",
                                        "en": "Jinghai Municipal Bureau of Ecology and Environment"},
     "homepage": f"https://sthjj.{DOMAIN}/", "email": f"data@sthjj.{DOMAIN}", "parent": "jh-gov-office",
     "contact": "京海市生态环境监测中心"},
    {"slug": "jh-health", "name": {"zh": "京海市卫生健康委员会", "en": "Jinghai Municipal Health Commission"},
     "homepage": f"https://wjw.{DOMAIN}/", "email": f"data@wjw.{DOMAIN}", "parent": "jh-gov-office",
     "contact": "京海市卫生健康委员会规划信息处"},
]
PUB = {p["slug"]: p for p in PUBLISHERS}

DISTRICTS = ["海城区", "临江区", "青华区", "东港区", "北山区", "南湖区", "西岭区", "新港区", "云溪县", "白沙县"]
ROADS = ["临江路", "海城大道", "青华路", "东港路", "北山路", "南湖路", "西岭路", "新港大道", "人民路", "解放路",
         "建设路", "滨海路"]


# --------------------------------------------------------------------------- small helpers

def slugify(text: str) -> str:
    """The same rule as catalog_schema.store.slugify (held to it by a test)."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]+", "-", norm).strip("-_"))


def uid(*parts: str) -> str:
    return str(uuid.uuid5(UUID_NS, "/".join(parts)))


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def normalise_zip(data: bytes, first: str | None = None, rewrite: dict | None = None) -> bytes:
    """Re-pack a ZIP with fixed timestamps (office writers stamp the current time).

    `first` is stored first and uncompressed (an ODF `mimetype`); `rewrite` maps a member
    name to a function that fixes its bytes.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    if first:
        names.remove(first)
        names.insert(0, first)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED if name == first else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            body = src.read(name)
            if rewrite and name in rewrite:
                body = rewrite[name](body)
            dst.writestr(info, body)
    return out.getvalue()


def gb11643_check(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a PRC resident identity number."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def luhn_check(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def ttl_str(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


# --------------------------------------------------------------------------- department files

def bus_stops(rng: random.Random) -> bytes:
    features, seen = [], set()
    n = 0
    while len(features) < 30:
        road, cross = rng.sample(ROADS, 2)
        name = f"{road}{cross[:-1] if cross.endswith('路') else cross}路口站"
        if name in seen:
            continue
        seen.add(name)
        n += 1
        lines = sorted(rng.sample(range(1, 13), rng.randint(1, 3)))
        features.append({
            "type": "Feature",
            "id": f"JH-BS{n:04d}",
            "geometry": {"type": "Point", "coordinates": [round(119.18 + rng.random() * 0.22, 6),
                                                          round(34.55 + rng.random() * 0.16, 6)]},
            "properties": {"stop_id": f"JH-BS{n:04d}", "name": name, "district": rng.choice(DISTRICTS[:8]),
                           "lines": [f"{x}路" for x in lines], "shelter": rng.random() < 0.7},
        })
    doc = {"type": "FeatureCollection", "name": "京海市公交站点", "features": features}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


BUS_LINES = [(i, f"{i}路（{a}—{b}）") for i, (a, b) in enumerate([
    ("火车站", "临江码头"), ("海城广场", "北山公园"), ("青华路口", "南湖新村"), ("东港客运站", "西岭水库"),
    ("人民医院", "新港工业园"), ("市政府", "云溪汽车站"), ("滨海路", "白沙镇"), ("解放路", "大学城"),
    ("建设路", "高铁站"), ("临江区政府", "东港港区"), ("北山路口", "海城大道东"), ("南湖路", "西岭路口")], 1)]


def bus_ridership(rng: random.Random, month: str) -> bytes:
    rows = [["线路编号", "线路名称", "统计月份", "运营车辆数", "客运量(万人次)"]]
    for number, name in BUS_LINES:
        rows.append([f"L{number:03d}", name, month, rng.randint(12, 48), f"{rng.uniform(18, 96):.1f}"])
    return csv_bytes(rows)


def traffic_violations(rng: random.Random) -> bytes:
    rows = [["月份", "违法类型", "查处数量", "已处理数量"]]
    for m in range(1, 13):
        for kind in ["超速行驶", "闯红灯", "违法停车", "不按规定车道行驶"]:
            found = rng.randint(800, 9000)
            rows.append([f"2024-{m:02d}", kind, found, found - rng.randint(0, 400)])
    return csv_bytes(rows)


def bicycle_stations(rng: random.Random) -> bytes:
    items = []
    for n in range(1, 21):
        road = ROADS[(n * 5) % len(ROADS)]
        items.append({"站点编号": f"BK{n:03d}", "站点名称": f"{road}{n}号租赁点", "所属区县": DISTRICTS[n % 8],
                      "经度": round(119.2 + rng.random() * 0.2, 6), "纬度": round(34.56 + rng.random() * 0.14, 6),
                      "桩位数": rng.choice([20, 24, 30, 36])})
    return (json.dumps(items, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def taxi_fares_xlsx() -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "运价标准"
    ws.append(["车型", "起步里程(公里)", "起步价(元)", "续程单价(元/公里)", "夜间加收(%)", "燃油附加费(元)"])
    for row in [["巡游出租汽车（普通）", 3, 10, 2.0, 20, 1],
                ["巡游出租汽车（新能源）", 3, 10, 1.8, 20, 0],
                ["巡游出租汽车（大型）", 3, 13, 2.6, 20, 1],
                ["无障碍出租汽车", 3, 10, 2.0, 0, 0],
                ["机场专线出租汽车", 5, 18, 2.4, 20, 1]]:
        ws.append(row)
    fixed = datetime(2026, 3, 2, 9, 0, 0)
    wb.properties.creator = "京海市交通委员会"
    wb.properties.lastModifiedBy = "京海市交通委员会"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_zip(buf.getvalue(), rewrite={"docProps/core.xml": _fixed_core_dates})


def _fixed_core_dates(xml: bytes) -> bytes:
    """openpyxl stamps dcterms:modified with the time of saving; pin it to the fixed date."""
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2026-03-02T09:00:00Z\g<2>", xml)


PARKING_HTML = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>页面不存在 - 京海市交通委员会</title>
<link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
<div class="header"><a href="/"><img src="/static/img/logo.png" alt="京海市交通委员会"></a></div>
<div class="error-page">
  <h1>404</h1>
  <p>抱歉，您访问的页面不存在或已被删除。</p>
  <p>Sorry, the page you requested could not be found.</p>
  <p><a href="/">返回首页</a> | <a href="/sjkf/">数据开放</a></p>
</div>
<div class="footer">主办：京海市交通委员会 &nbsp; 网站标识码：JH0000000001</div>
</body>
</html>
"""


def air_stations_ttl() -> bytes:
    stations = [("s01", "海城广场", "Haicheng Square", "haicheng", 119.2873, 34.6012),
                ("s02", "临江公园", "Linjiang Park", "linjiang", 119.3361, 34.6258),
                ("s03", "青华中学", "Qinghua Middle School", "qinghua", 119.2510, 34.5893),
                ("s04", "东港监测站", "Donggang Station", "donggang", 119.3902, 34.6431),
                ("s05", "北山公园", "Beishan Park", "beishan", 119.3015, 34.6820)]
    pollutants = [("pm25", "细颗粒物(PM2.5)", "Fine particulate matter (PM2.5)", "Particulates"),
                  ("pm10", "可吸入颗粒物(PM10)", "Particulate matter (PM10)", "Particulates"),
                  ("no2", "二氧化氮", "Nitrogen dioxide", "Nitrogen_dioxide"),
                  ("so2", "二氧化硫", "Sulfur dioxide", "Sulfur_dioxide"),
                  ("o3", "臭氧", "Ozone", "Ozone"),
                  ("co", "一氧化碳", "Carbon monoxide", "Carbon_monoxide")]
    out = [
        "# 京海市空气质量监测站点 / Jinghai air quality monitoring stations",
        "# Published by 京海市生态环境局. Links to GeoNames and DBpedia give context (five stars).",
        f"@prefix jh: <{DATA_NS}def/air#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .",
        "@prefix sosa: <http://www.w3.org/ns/sosa/> .",
        "",
        f"<{DATA_NS}id/city/jinghai> a jh:City ;",
        f"    rdfs:label {ttl_str('京海市', 'zh')} , {ttl_str('Jinghai', 'en')} ;",
        "    dct:isPartOf <http://sws.geonames.org/1814991/> .",
        "",
    ]
    for code, zh, en, dbp in pollutants:
        out += [f"<{DATA_NS}id/pollutant/{code}> a jh:Pollutant ;",
                f"    rdfs:label {ttl_str(zh, 'zh')} , {ttl_str(en, 'en')} ;",
                f"    owl:sameAs <http://dbpedia.org/resource/{dbp}> .", ""]
    for code, zh, en, district, lon, lat in stations:
        measured = " , ".join(f"<{DATA_NS}id/pollutant/{p[0]}>" for p in pollutants)
        out += [f"<{DATA_NS}id/air-station/{code}> a sosa:Platform , jh:AirQualityStation ;",
                f"    rdfs:label {ttl_str(zh + '监测点', 'zh')} , {ttl_str(en, 'en')} ;",
                f"    geo:lat {lat:.4f} ; geo:long {lon:.4f} ;",
                f"    jh:district <{DATA_NS}id/district/{district}> ;",
                f"    jh:city <{DATA_NS}id/city/jinghai> ;",
                f"    jh:measures {measured} ;",
                "    dct:spatial <http://sws.geonames.org/1814991/> .", ""]
    return "\n".join(out).encode("utf-8")


def water_sections_ttl(rng: random.Random) -> bytes:
    rivers = [("linjiang", "临江", "Linjiang River"), ("qingshui", "清水河", "Qingshui River"),
              ("baisha", "白沙河", "Baisha River")]
    out = [
        "# 京海市地表水水质监测断面 / Jinghai surface water quality monitoring sections",
        "# Every resource is named by an http URI of data.jinghai.example; no links to other domains (four stars).",
        f"@prefix jh: <{DATA_NS}def/water#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "",
    ]
    for code, zh, en in rivers:
        out += [f"<{DATA_NS}id/river/{code}> a jh:River ;",
                f"    rdfs:label {ttl_str(zh, 'zh')} , {ttl_str(en, 'en')} .", ""]
    for n in range(1, 9):
        code, zh, _ = rivers[n % 3]
        klass = rng.choice(["II", "II", "III", "III", "IV"])
        out += [f"<{DATA_NS}id/water-section/ws{n:02d}> a jh:MonitoringSection ;",
                f"    rdfs:label {ttl_str(f'{zh}{n}号断面', 'zh')} , {ttl_str(f'{zh} section {n}', 'en')} ;",
                f"    jh:river <{DATA_NS}id/river/{code}> ;",
                "    jh:year \"2025\"^^xsd:gYear ;",
                f"    jh:waterQualityClass {ttl_str(klass)} ;",
                f"    jh:dissolvedOxygen \"{rng.uniform(5.0, 9.5):.2f}\"^^xsd:decimal ;",
                f"    jh:ammoniaNitrogen \"{rng.uniform(0.1, 1.4):.3f}\"^^xsd:decimal .", ""]
    return "\n".join(out).encode("utf-8")


def air_quality_xml(rng: random.Random) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<airQualityReport xmlns="{DATA_NS}schema/air-quality/1.0" year="2025" '
             'publisher="京海市生态环境局" unit="μg/m3 (CO: mg/m3)">']
    for code, name in [("s01", "海城广场"), ("s02", "临江公园"), ("s03", "青华中学"), ("s04", "东港监测站"),
                       ("s05", "北山公园")]:
        lines.append(f'  <station id="{code}" name="{name}">')
        for m in range(1, 13):
            lines.append(f'    <month value="2025-{m:02d}"><aqi>{rng.randint(35, 140)}</aqi>'
                         f'<pm25>{rng.randint(12, 85)}</pm25><pm10>{rng.randint(30, 130)}</pm10>'
                         f'<no2>{rng.randint(12, 48)}</no2><so2>{rng.randint(3, 15)}</so2>'
                         f'<o3>{rng.randint(60, 180)}</o3><co>{rng.uniform(0.4, 1.4):.1f}</co></month>')
        lines.append("  </station>")
    lines.append("</airQualityReport>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def noise_ods(rng: random.Random) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="声环境质量")

    def row(values: list) -> None:
        tr = TableRow()
        for v in values:
            if isinstance(v, (int, float)):
                cell = TableCell(valuetype="float", value=v)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(v)))
            tr.addElement(cell)
        table.addElement(tr)

    row(["监测点位", "所属区县", "功能区类别", "昼间等效声级dB(A)", "夜间等效声级dB(A)", "昼间达标", "夜间达标"])
    limits = {"1类": (55, 45), "2类": (60, 50), "3类": (65, 55), "4a类": (70, 55)}
    for n in range(1, 11):
        area = rng.choice(list(limits))
        day, night = round(rng.uniform(48, 70), 1), round(rng.uniform(40, 60), 1)
        row([f"N{n:02d} {ROADS[n]}", DISTRICTS[n % 8], area, day, night,
             "是" if day <= limits[area][0] else "否", "是" if night <= limits[area][1] else "否"])
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    data = normalise_zip(buf.getvalue(), first="mimetype")
    return _fix_ods_meta(data)


def _fix_ods_meta(data: bytes) -> bytes:
    """odfpy stamps no date, but be safe: drop any creation/modification dates from meta.xml."""
    src = zipfile.ZipFile(io.BytesIO(data))
    meta = src.read("meta.xml").decode("utf-8")
    cleaned = re.sub(r"<(meta:creation-date|dc:date)>[^<]*</\1>", "", meta)
    if cleaned == meta:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = cleaned.encode("utf-8") if info.filename == "meta.xml" else src.read(info.filename)
            dst.writestr(info, body)
    return out.getvalue()


ENTERPRISE_WORDS = ["海晟", "临港", "青源", "东泰", "北辰", "南华", "西岭", "新港", "云溪", "白沙", "恒力", "永盛",
                    "华润达", "金桥", "瑞丰"]


def emissions_register(rng: random.Random) -> bytes:
    rows = [["单位名称", "所属区县", "行业类别", "主要污染物", "排放类别", "在线监测"]]
    for word in ENTERPRISE_WORDS:
        industry, pollutants = rng.choice([("化学原料和化学制品制造业", "COD;氨氮"), ("火力发电", "二氧化硫;氮氧化物"),
                                           ("造纸和纸制品业", "COD;氨氮"), ("金属表面处理", "总铬;总镍"),
                                           ("污水处理及其再生利用", "COD;总磷")])
        rows.append([f"京海市{word}{industry[:2]}有限公司", rng.choice(DISTRICTS), industry, pollutants,
                     rng.choice(["水环境", "大气环境", "水环境;大气环境"]), rng.choice(["是", "是", "否"])])
    return csv_bytes(rows)


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
         "平", "刚"]
AREA_CODES = ["370202", "370203", "370211", "370212", "370213", "370214", "370281", "370283"]


def fabricated_id(rng: random.Random) -> str:
    body = (rng.choice(AREA_CODES) + f"{rng.randint(1960, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + f"{rng.randint(0, 999):03d}")
    return body + gb11643_check(body)


def fabricated_card(rng: random.Random) -> str:
    body = "62" + "".join(str(rng.randint(0, 9)) for _ in range(rng.choice([13, 16])))
    return body + luhn_check(body)


def complaints(rng: random.Random) -> bytes:
    rows = [["工单编号", "受理日期", "投诉人姓名", "身份证号", "联系电话", "电子邮箱", "退款银行卡号", "投诉类别",
             "所属区县", "办理状态"]]
    for n in range(1, 21):
        rows.append([f"GD2026{n:05d}", f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}",
                     rng.choice(SURNAMES) + rng.choice(GIVEN), fabricated_id(rng),
                     f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}",
                     f"user{rng.randint(1000, 9999)}@{rng.choice(['example.com', 'example.org', 'example.net'])}",
                     fabricated_card(rng), rng.choice(["物业服务", "噪声扰民", "公交服务", "消费纠纷", "供暖"]),
                     rng.choice(DISTRICTS), rng.choice(["已办结", "办理中", "已办结"])])
    return csv_bytes(rows)


def service_statistics(rng: random.Random) -> bytes:
    """A table with the classic problems of a spreadsheet saved by hand (see README)."""
    rows = [["", "区县", "事项类别", "办件量", "办件量", "按时办结率(%)"]]  # blank header, duplicate header
    kinds = ["户籍办理", "不动产登记", "社保办理"]
    for i, (district, kind) in enumerate((d, k) for d in DISTRICTS for k in kinds):
        rows.append([i, district, kind, rng.randint(800, 6000), rng.randint(800, 6000), f"{rng.uniform(95, 100):.1f}"])
    rows[3][2] = ""          # missing cells
    rows[6][5] = ""
    rows[17][5] = ""
    # A type error in a numeric column: one cell in thirty, near the end, so that type inference from a
    # sample (frictionless decides as soon as 90% of the cells seen agree) still calls the column integer.
    rows[29][3] = "约1200"
    rows.insert(12, ["", "", "", "", "", ""])  # blank row
    rows.insert(21, list(rows[20]))            # duplicate row
    return csv_bytes(rows)


def working_calendar() -> bytes:
    days = [("2026-01-01", "休息日", "元旦"), ("2026-01-02", "休息日", "元旦"), ("2026-01-03", "休息日", "元旦"),
            ("2026-01-04", "调休上班", "元旦"), ("2026-02-14", "调休上班", "春节"),
            *[(f"2026-02-{d:02d}", "休息日", "春节") for d in range(15, 24)],
            ("2026-02-28", "调休上班", "春节"), ("2026-04-04", "休息日", "清明节"), ("2026-04-05", "休息日", "清明节"),
            ("2026-04-06", "休息日", "清明节"), *[(f"2026-05-{d:02d}", "休息日", "劳动节") for d in range(1, 6)],
            ("2026-05-09", "调休上班", "劳动节"), ("2026-06-19", "休息日", "端午节"),
            ("2026-06-20", "休息日", "端午节"),
            ("2026-06-21", "休息日", "端午节"), ("2026-09-20", "调休上班", "国庆节、中秋节"),
            *[(f"2026-10-{d:02d}", "休息日", "国庆节、中秋节") for d in range(1, 8)],
            ("2026-10-10", "调休上班", "国庆节、中秋节")]
    items = [{"日期": d, "类型": t, "节日": h} for d, t, h in days]
    return (json.dumps(items, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def normative_documents() -> bytes:
    titles = ["京海市政务数据共享开放管理办法", "京海市公共数据分类分级指南", "关于进一步优化营商环境的若干措施",
              "京海市城市道路占用挖掘管理规定", "京海市生活垃圾分类管理实施细则", "京海市政府信息公开工作规程",
              "关于加快推进公共数据开放的实施意见", "京海市12345政务服务便民热线管理办法",
              "京海市重大行政决策程序规定", "京海市政府网站与政务新媒体管理办法"]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<documents publisher="京海市人民政府办公厅" generated="2026-09-30">']
    for n, title in enumerate(titles, 1):
        lines += [f'  <document id="JHGB-2026-{n:03d}">',
                  f"    <number>京政办发〔2026〕{n + 2}号</number>",
                  f"    <title>{title}</title>",
                  f"    <issued>2026-{(n % 9) + 1:02d}-{(n * 3) % 27 + 1:02d}</issued>",
                  "    <status>现行有效</status>",
                  "  </document>"]
    lines.append("</documents>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def population(rng: random.Random) -> tuple[bytes, dict]:
    rows = [["district_code", "district_name", "resident_population_10k", "urbanisation_rate", "households"]]
    for i, district in enumerate(DISTRICTS, 1):
        rows.append([f"9901{i:02d}", district, f"{rng.uniform(18, 120):.2f}", f"{rng.uniform(45, 96):.1f}",
                     rng.randint(60000, 420000)])
    schema = {"fields": [
        {"name": "district_code", "type": "string", "title": "区划代码", "constraints": {"required": True,
                                                                                    "pattern": "[0-9]{6}"}},
        {"name": "district_name", "type": "string", "title": "区县名称", "constraints": {"required": True}},
        {"name": "resident_population_10k", "type": "number", "title": "常住人口(万人)",
         "constraints": {"minimum": 0}},
        {"name": "urbanisation_rate", "type": "number", "title": "城镇化率(%)",
         "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "households", "type": "integer", "title": "户数", "constraints": {"minimum": 0}}],
        "primaryKey": ["district_code"]}
    return csv_bytes(rows), schema


# --------------------------------------------------------------------------- the statistics yearbook folder

YEARBOOK = "jh-stats/yearbook"
YEARBOOK_YEARS = range(2016, 2026)


def yearbook_gdp(rng: random.Random) -> bytes:
    """表2-1 地区生产总值（按产业分）: UTF-8; fabricated figures that add up."""
    rows = [["年份", "地区生产总值(亿元)", "第一产业(亿元)", "第二产业(亿元)", "第三产业(亿元)",
             "人均地区生产总值(元)"]]
    primary, secondary, tertiary = 92.0, 1180.0, 1310.0
    for year in YEARBOOK_YEARS:
        primary *= rng.uniform(1.00, 1.04)
        secondary *= rng.uniform(1.02, 1.07)
        tertiary *= rng.uniform(1.05, 1.10)
        total = round(primary, 1) + round(secondary, 1) + round(tertiary, 1)
        rows.append([year, f"{total:.1f}", f"{primary:.1f}", f"{secondary:.1f}", f"{tertiary:.1f}",
                     round(total * 1e8 / ((520 + (year - 2016) * 4.5) * 1e4))])
    return csv_bytes(rows)


def yearbook_population(rng: random.Random) -> bytes:
    """表3-1 年末常住人口及自然变动: GBK, as a statistics bureau's own export is."""
    rows = [["年份", "年末常住人口(万人)", "城镇人口(万人)", "出生率(‰)", "死亡率(‰)", "自然增长率(‰)"]]
    people = 520.0
    for year in YEARBOOK_YEARS:
        people += rng.uniform(2.5, 6.0)
        birth, death = rng.uniform(6.0, 11.5) - (year - 2016) * 0.3, rng.uniform(5.8, 7.2)
        rows.append([year, f"{people:.2f}", f"{people * rng.uniform(0.68, 0.74):.2f}", f"{birth:.2f}",
                     f"{death:.2f}", f"{birth - death:.2f}"])
    return csv_bytes(rows, encoding="gbk")


def yearbook_income(rng: random.Random) -> bytes:
    """表5-1 居民人均可支配收入与消费支出: UTF-8."""
    rows = [["年份", "全体居民人均可支配收入(元)", "城镇居民人均可支配收入(元)", "农村居民人均可支配收入(元)",
             "全体居民人均消费支出(元)"]]
    urban, rural = 38200.0, 17600.0
    for year in YEARBOOK_YEARS:
        urban *= rng.uniform(1.03, 1.08)
        rural *= rng.uniform(1.05, 1.09)
        whole = urban * 0.72 + rural * 0.28
        rows.append([year, round(whole), round(urban), round(rural), round(whole * rng.uniform(0.62, 0.68))])
    return csv_bytes(rows)


def yearbook_sheet(items: list[dict]) -> bytes:
    """元数据.csv: the bureau's catalogue of the folder, one row per file, Chinese headers, GBK."""
    rows = [["文件", "标题", "描述", "许可协议", "关键词", "主题", "更新频率", "时间范围", "空间范围", "更新日期"]]
    for d in items:
        if d["source"] != "folder":
            continue
        rows.append([d["distributions"][0]["file"].removeprefix(YEARBOOK + "/"), d["title"]["zh"],
                     d["description"]["zh"], d["licence"], "、".join(d["keywords"]), "、".join(d["themes"]),
                     "每年", f"{d['temporal'][0][:4]}—{d['temporal'][1][:4]}", "京海市",
                     d["modified"].replace("-", ".")])
    return csv_bytes(rows, encoding="gbk")


# --------------------------------------------------------------------------- the PDF

def _ucs2(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def budget_pdf() -> bytes:
    """A one-page PDF with a ruled table; Chinese in the standard Adobe-GB1 font STSong-Light."""
    header = ["项目", "预算数(亿元)", "执行数(亿元)", "完成预算(%)"]
    rows = [["一般公共预算收入", "412.60", "418.35", "101.4"], ["  其中：税收收入", "318.20", "321.07", "100.9"],
            ["  非税收入", "94.40", "97.28", "103.1"], ["一般公共预算支出", "586.30", "571.92", "97.5"],
            ["  其中：教育支出", "102.50", "101.76", "99.3"], ["  社会保障和就业支出", "88.10", "87.45", "99.3"],
            ["  卫生健康支出", "54.70", "53.18", "97.2"], ["  交通运输支出", "41.30", "38.64", "93.6"]]
    x_cols = [60, 250, 350, 450, 540]
    top, row_h = 700, 24
    ops = ["BT /F2 16 Tf 110 760 Td " + _ucs2("2024年京海市一般公共预算收支执行情况表") + " Tj ET",
           "BT /F1 10 Tf 150 742 Td (Jinghai general public budget 2024: revenue and expenditure) Tj ET",
           "0.5 w"]
    n_rows = len(rows) + 1
    for i in range(n_rows + 1):
        y = top - i * row_h
        ops.append(f"{x_cols[0]} {y} m {x_cols[-1]} {y} l S")
    for x in x_cols:
        ops.append(f"{x} {top} m {x} {top - n_rows * row_h} l S")
    for i, cells in enumerate([header, *rows]):
        y = top - i * row_h - 16
        for j, cell in enumerate(cells):
            if j == 0 or i == 0:
                ops.append(f"BT /F2 10 Tf {x_cols[j] + 6} {y} Td {_ucs2(cell)} Tj ET")
            else:
                ops.append(f"BT /F1 10 Tf {x_cols[j] + 6} {y} Td ({cell}) Tj ET")
    ops.append("BT /F2 9 Tf 60 " + str(top - n_rows * row_h - 20) + " Td "
               + _ucs2("资料来源：京海市财政局。数据以正式决算为准。") + " Tj ET")
    content = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [7 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 8 0 R /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
        b"<< /Title (Jinghai general public budget 2024) /Producer (data_samples/build.py) "
        b"/CreationDate (D:20260215090000+08'00') >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 9 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# --------------------------------------------------------------------------- the datasets

def dist(file: str, fmt: str, title: dict, stars: int, findings: list[str], why: str, **extra) -> dict:
    return {"file": file, "format": fmt, "title": title, "stars": stars, "findings": findings, "why": why, **extra}


def datasets() -> list[dict]:
    """Every dataset: metadata, its files, and what the quality engine should find (expected.json)."""
    common = {"licence": "CC-BY-4.0", "frequency": "ANNUAL", "findings": []}
    three = "sniffed as {f}: structured and non-proprietary, but no URIs"
    return [
        # ---- transport commission: CKAN
        {**common, "slug": "bus-stops", "source": "ckan", "publisher": "jh-transport",
         "title": {"zh": "公交站点", "en": "Bus stops"},
         "description": {"zh": "京海市公交站点位置、所属区县及途经线路，GeoJSON 格式。",
                         "en": "Locations of Jinghai bus stops with district and the lines serving them, as GeoJSON."},
         "keywords": ["公交", "站点", "bus", "交通"], "themes": ["TRAN"], "issued": "2023-04-10",
         "modified": "2026-06-30", "temporal": ("2026-01-01", "2026-12-31"),
         "distributions": [dist("jh-transport/bus-stops.geojson", "GEOJSON", {"zh": "公交站点（GeoJSON）"}, 3,
                                ["no-uris"], three.format(f="GeoJSON"))]},
        *[{**common, "slug": f"bus-ridership-2024-{m}", "source": "ckan", "publisher": "jh-transport",
           "frequency": "IRREG", "findings": ["fragmented-series"],
           "title": {"zh": f"公交线路客运量（2024年{int(m)}月）", "en": f"Bus ridership by line, {name} 2024"},
           "description": {"zh": f"2024年{int(m)}月京海市各公交线路运营车辆数与客运量。",
                           "en": f"Vehicles in service and passengers carried per bus line in {name} 2024."},
           "keywords": ["公交", "客运量", "ridership"], "themes": ["TRAN"], "issued": f"2024-{int(m) + 1:02d}-05"
           if m != "12" else "2025-01-06", "modified": f"2024-{int(m) + 1:02d}-05" if m != "12" else "2025-01-06",
           "temporal": (f"2024-{m}-01", f"2024-{m}-{days}"),
           "distributions": [dist(f"jh-transport/bus-ridership-2024-{m}.csv", "CSV",
                                  {"zh": f"客运量 2024年{int(m)}月"}, 3, ["no-uris"], three.format(f="CSV"))]}
          for m, name, days in [("10", "October", "31"), ("11", "November", "30"), ("12", "December", "31")]],
        {**common, "slug": "taxi-fares", "source": "ckan", "publisher": "jh-transport",
         "findings": ["duplicate-dataset"],
         "title": {"zh": "出租汽车运价标准", "en": "Taxi fare schedule"},
         "description": {"zh": "京海市巡游出租汽车运价标准，含起步价、续程单价和夜间加收。",
                         "en": "Taxi fares in Jinghai: flag fall, price per kilometre and night surcharge."},
         "keywords": ["出租车", "运价", "taxi"], "themes": ["TRAN", "ECON"], "issued": "2026-03-02",
         "modified": "2026-03-02", "temporal": None,
         "distributions": [dist("jh-transport/taxi-fares.xlsx", "XLSX", {"zh": "运价标准（Excel）"}, 2,
                                ["proprietary-format"], "sniffed as XLSX: machine-readable but proprietary")]},
        {**common, "slug": "taxi-fares-2026", "source": "ckan", "publisher": "jh-transport",
         "findings": ["duplicate-dataset"],
         "title": {"zh": "出租汽车运价标准", "en": "Taxi fare schedule"},
         "description": {"zh": "京海市巡游出租汽车运价标准（2026年重新上传）。",
                         "en": "Taxi fares in Jinghai (uploaded again in 2026)."},
         "keywords": ["出租车", "运价", "taxi"], "themes": ["TRAN"], "issued": "2026-04-15",
         "modified": "2026-04-15", "temporal": None,
         "distributions": [dist("jh-transport/uploads/taxi-fares.xlsx", "XLSX", {"zh": "运价标准"}, 2,
                                ["proprietary-format"],
                                "the same bytes as taxi-fares.xlsx: XLSX, machine-readable but proprietary")]},
        {**common, "slug": "parking-lots", "source": "ckan", "publisher": "jh-transport",
         "title": {"zh": "公共停车场信息", "en": "Public car parks"},
         "description": {"zh": "京海市公共停车场名称、地址、泊位数和收费标准。",
                         "en": "Public car parks in Jinghai: name, address, spaces and charges."},
         "keywords": ["停车场", "泊位", "parking"], "themes": ["TRAN"], "issued": "2022-08-01",
         "modified": "2026-05-20", "temporal": None,
         "findings": ["html-not-data"],
         "distributions": [dist("jh-transport/parking-lots.csv", "CSV", {"zh": "停车场（CSV）"}, 0,
                                ["html-not-data"],
                                "declared CSV, answers 200 with an HTML 404 page: a soft 404, no data")]},
        {**common, "slug": "traffic-violations-monthly", "source": "ckan", "publisher": "jh-transport",
         "frequency": "MONTHLY", "findings": ["stale"],
         "title": {"zh": "交通违法查处情况（月度）", "en": "Traffic offences dealt with, monthly"},
         "description": {"zh": "按月统计的主要交通违法类型查处与处理数量。",
                         "en": "Main traffic offences found and dealt with, per month."},
         "keywords": ["交通违法", "执法", "traffic"], "themes": ["TRAN", "JUST"], "issued": "2023-02-10",
         "modified": "2025-01-15", "temporal": ("2024-01-01", "2024-12-31"),
         "distributions": [dist("jh-transport/traffic-violations-2024.csv", "CSV", {"zh": "2024年月度数据"}, 3,
                                ["no-uris"], three.format(f="CSV"))]},
        {**common, "slug": "road-works", "source": "ckan", "publisher": "jh-transport",
         "title": {"zh": "道路施工占道信息"},
         "description": {"zh": "经审批的道路施工占道许可，含路段、工期和占道范围。"},
         "keywords": ["道路施工", "占道"], "themes": ["TRAN"], "issued": "2025-03-01", "modified": "2026-05-06",
         "temporal": None, "findings": ["link-broken"],
         "distributions": [dist("jh-transport/road-works-2025.csv", "CSV", {"zh": "施工占道许可"}, 0,
                                ["link-broken"], "the file is not on the server: HTTP 404", missing=True)]},
        {**common, "slug": "public-bicycle-stations", "source": "ckan", "publisher": "jh-transport",
         "title": {"zh": "公共自行车租赁点"}, "description": {"zh": "京海市公共自行车租赁点位置与桩位数。"},
         "keywords": ["公共自行车", "租赁点"], "themes": ["TRAN"], "issued": "2021-06-01", "modified": "2026-07-01",
         "temporal": None,
         "distributions": [dist("jh-transport/bicycle-stations.json", "JSON", {"zh": "租赁点（JSON）"}, 3,
                                ["no-uris"], three.format(f="a JSON array of objects"))]},
        # ---- environment bureau: DCAT-AP
        {**common, "slug": "air-quality-monitoring-stations", "source": "dcat", "publisher": "jh-environment",
         "title": {"zh": "空气质量监测站点", "en": "Air quality monitoring stations"},
         "description": {"zh": "国控与市控空气质量监测站点、位置及监测项目，以关联数据发布。",
                         "en": "Air quality monitoring stations, their positions and what they measure, "
                               "as linked data."},
         "keywords": ["空气质量", "监测站", "air quality"], "themes": ["ENVI"], "issued": "2024-05-10",
         "modified": "2026-04-01", "temporal": None, "hvd": HVD_EARTH_OBSERVATION,
         "distributions": [dist("jh-environment/air-quality-stations.ttl", "RDF_TURTLE", {"zh": "站点（Turtle）"},
                                5, [], "Turtle with http URIs, linking to GeoNames and DBpedia")]},
        {**common, "slug": "surface-water-quality-sections", "source": "dcat", "publisher": "jh-environment",
         "title": {"zh": "地表水水质监测断面", "en": "Surface water quality sections"},
         "description": {"zh": "主要河流监测断面2025年水质类别、溶解氧和氨氮。",
                         "en": "Water quality class, dissolved oxygen and ammonia at river sections in 2025."},
         "keywords": ["水质", "河流", "water"], "themes": ["ENVI"], "issued": "2025-03-20", "modified": "2026-03-20",
         "temporal": ("2025-01-01", "2025-12-31"), "hvd": HVD_EARTH_OBSERVATION,
         "distributions": [dist("jh-environment/water-quality-sections.ttl", "RDF_TURTLE", {"zh": "断面（Turtle）"},
                                4, ["no-external-links"],
                                "Turtle with http URIs, all on data.jinghai.example: no links to other data")]},
        {**common, "slug": "air-quality-monthly-2025", "source": "dcat", "publisher": "jh-environment",
         "title": {"zh": "空气质量月报数据（2025年）", "en": "Air quality monthly 2025"},
         "description": {"zh": "各监测站点2025年逐月空气质量指数和六项污染物浓度。",
                         "en": "Monthly air quality index and six pollutants per station in 2025."},
         "keywords": ["空气质量", "AQI", "PM2.5"], "themes": ["ENVI", "HEAL"], "issued": "2026-01-20",
         "modified": "2026-01-20", "temporal": ("2025-01-01", "2025-12-31"),
         "distributions": [dist("jh-environment/air-quality-2025.xml", "XML", {"zh": "月报（XML）"}, 3,
                                ["no-uris"], three.format(f="XML"))]},
        {**common, "slug": "environmental-noise-monitoring", "source": "dcat", "publisher": "jh-environment",
         "title": {"zh": "声环境质量监测结果", "en": "Environmental noise monitoring"},
         "description": {"zh": "功能区声环境监测点昼间、夜间等效声级及达标情况。",
                         "en": "Day and night equivalent sound levels at monitoring points and whether they comply."},
         "keywords": ["噪声", "声环境", "noise"], "themes": ["ENVI"], "issued": "2024-02-01", "modified": "2026-02-01",
         "temporal": ("2025-01-01", "2025-12-31"),
         "distributions": [dist("jh-environment/noise-monitoring.ods", "ODS", {"zh": "监测结果（ODS）"}, 3,
                                ["no-uris"], three.format(f="ODS"))]},
        {**common, "slug": "key-pollutant-discharge-units", "source": "dcat", "publisher": "jh-environment",
         "licence": "CC-BY-NC-4.0", "findings": ["licence-not-open"],
         "title": {"zh": "重点排污单位名录", "en": "Key pollutant discharge units"},
         "description": {"zh": "京海市重点排污单位名录，仅限非商业使用。",
                         "en": "List of key pollutant-discharging enterprises; non-commercial use only."},
         "keywords": ["排污单位", "污染源", "emissions"], "themes": ["ENVI", "ECON"], "issued": "2025-04-01",
         "modified": "2026-04-01", "temporal": None,
         "distributions": [dist("jh-environment/key-pollutant-units.csv", "CSV", {"zh": "名录（CSV）"}, 0,
                                ["licence-not-open"], "CC-BY-NC-4.0 is not an open licence")]},
        {**common, "slug": "sister-city-temperatures", "source": "dcat", "publisher": "jh-environment",
         "frequency": "IRREG",
         "title": {"zh": "友好城市气温对照", "en": "Sister city temperatures"},
         "description": {"zh": "友好城市戈尔韦与伯克利的日气温对照（历史资料）。",
                         "en": "Daily temperatures in the sister cities Galway and Berkeley (historical)."},
         "keywords": ["气温", "友好城市", "temperature"], "themes": ["ENVI", "INTR"], "issued": "2024-09-01",
         "modified": "2026-01-10", "temporal": ("2007-01-01", "2007-01-03"),
         "distributions": [dist("jh-environment/sister-city-temperatures.xls", "XLS", {"zh": "气温（Excel 97）"}, 2,
                                ["proprietary-format"], "sniffed as XLS (BIFF8): machine-readable but proprietary")]},
        # ---- city government office: data.json
        {**common, "slug": "jinghai-general-public-budget-2024", "source": "datajson", "publisher": "jh-gov-office",
         "title": {"zh": "2024年京海市一般公共预算收支执行情况", "en": "Jinghai general public budget 2024"},
         "description": {"zh": "2024年一般公共预算收入与支出的预算数、执行数。",
                         "en": "Budgeted and actual general public budget revenue and expenditure for 2024."},
         "keywords": ["预算", "财政", "budget"], "themes": ["GOVE", "ECON"], "issued": "2025-02-20",
         "modified": "2026-02-15", "temporal": ("2024-01-01", "2024-12-31"),
         "distributions": [dist("jh-gov-office/general-public-budget-2024.pdf", "PDF", {"zh": "执行情况表（PDF）"}, 1,
                                ["not-machine-readable"], "sniffed as PDF: on the web, openly licensed, not data")]},
        {**common, "slug": "citizen-hotline-complaints", "source": "datajson", "publisher": "jh-gov-office",
         "findings": ["pii-id-number", "pii-phone", "pii-email", "pii-bank-card"],
         "title": {"zh": "12345热线投诉工单", "en": "Citizen hotline complaints"},
         "description": {"zh": "12345政务服务便民热线投诉工单明细（误将含个人信息的原始表发布）。",
                         "en": "Complaints to the 12345 hotline (the raw table with personal data, published "
                               "by mistake)."},
         "keywords": ["12345", "投诉", "complaints"], "themes": ["GOVE", "SOCI"], "issued": "2026-10-12",
         "modified": "2026-10-12", "temporal": ("2026-01-01", "2026-10-31"),
         "distributions": [dist("jh-gov-office/hotline-complaints-2026.csv", "CSV", {"zh": "投诉工单（CSV）"}, 3,
                                ["no-uris", "pii-id-number", "pii-phone", "pii-email", "pii-bank-card"],
                                three.format(f="CSV") + "; fabricated personal data in five columns")]},
        {**common, "slug": "government-service-statistics", "source": "datajson", "publisher": "jh-gov-office",
         "findings": ["blank-header", "duplicate-header", "blank-row", "duplicate-row", "missing-cells", "type-error"],
         "title": {"zh": "政务服务事项办件量统计", "en": "Government service statistics"},
         "description": {"zh": "各区县政务服务中心主要事项办件量与按时办结率。",
                         "en": "Cases handled and on-time rate per district service centre."},
         "keywords": ["政务服务", "办件量", "services"], "themes": ["GOVE"], "issued": "2025-07-01",
         "modified": "2026-07-01", "temporal": ("2025-01-01", "2025-12-31"),
         "distributions": [dist("jh-gov-office/service-statistics.csv", "CSV", {"zh": "办件量（CSV）"}, 3,
                                ["no-uris", "blank-header", "duplicate-header", "blank-row", "duplicate-row",
                                 "missing-cells", "type-error"],
                                three.format(f="CSV") + "; quality problems do not cost stars")]},
        {**common, "slug": "working-day-calendar-2026", "source": "datajson", "publisher": "jh-gov-office",
         "licence": None, "findings": ["licence-missing"],
         "title": {"zh": "2026年节假日与调休安排", "en": "Working day calendar 2026"},
         "description": {"zh": "2026年法定节假日放假与调休上班日期。",
                         "en": "Public holidays and swapped working days in 2026."},
         "keywords": ["节假日", "调休", "calendar"], "themes": ["GOVE", "SOCI"], "issued": "2025-12-01",
         "modified": "2026-01-05", "temporal": ("2026-01-01", "2026-12-31"),
         "distributions": [dist("jh-gov-office/working-day-calendar-2026.json", "JSON", {"zh": "日历（JSON）"}, 0,
                                ["licence-missing"], "no licence stated, so not open")]},
        {**common, "slug": "normative-documents", "source": "datajson", "publisher": "jh-gov-office",
         "frequency": None, "findings": ["frequency-missing"],
         "title": {"zh": "市政府办公厅规范性文件目录", "en": "Normative documents"},
         "description": {"zh": "京海市人民政府办公厅现行有效规范性文件目录。",
                         "en": "Normative documents of the city government office currently in force."},
         "keywords": ["规范性文件", "政策", "policy"], "themes": ["GOVE", "JUST"], "issued": "2026-01-05",
         "modified": "2026-09-30", "temporal": None,
         "distributions": [dist("jh-gov-office/normative-documents.xml", "XML", {"zh": "文件目录（XML）"}, 3,
                                ["no-uris"], three.format(f="XML"))]},
        # ---- statistics bureau: Data Package (one package is one dataset)
        {**common, "slug": "jinghai-statistical-tables-2024", "source": "datapackage", "publisher": "jh-stats",
         "findings": ["encoding-not-utf8", "notes-rows"],
         "title": {"zh": "京海市统计数据表（2024）"},
         "description": {"zh": "京海市统计局发布的统计表：全国分省地区生产总值（国家统计局导出，GBK 编码）"
                               "和京海市各区县常住人口。"},
         "keywords": ["统计", "地区生产总值", "GDP", "人口"], "themes": ["ECON", "SOCI"], "issued": "2025-03-31",
         "modified": "2026-03-31", "temporal": ("1993-01-01", "2024-12-31"),
         "distributions": [
             dist("jh-stats/nbs_gdp_20y_gbk.csv", "CSV", {"zh": "分省地区生产总值（最近20年）"}, 3,
                  ["no-uris", "encoding-not-utf8", "notes-rows"],
                  three.format(f="CSV") + "; GBK, three metadata rows above the header, notes and source below",
                  encoding="gbk"),
             dist("jh-stats/nbs_gdp_by_province_gbk.csv", "CSV", {"zh": "分省地区生产总值（1993-2017）"}, 3,
                  ["no-uris", "encoding-not-utf8", "notes-rows"],
                  three.format(f="CSV") + "; GBK, metadata rows above, a quoted note and the source below",
                  encoding="gbk"),
             dist("jh-stats/population-by-district-2024.csv", "CSV", {"zh": "各区县常住人口（2024）"}, 3,
                  ["no-uris"], three.format(f="CSV") + "; UTF-8 with a Table Schema", schema=True)]},
        # ---- statistics bureau: a folder of yearbook tables with a metadata sheet (one file is one dataset)
        {**common, "slug": "gdp-by-industry-2016-2025", "source": "folder", "publisher": "jh-stats",
         "title": {"zh": "京海市地区生产总值（按产业分，2016—2025年）"},
         "description": {"zh": "《京海统计年鉴》表2-1：京海市历年地区生产总值及第一、二、三产业增加值，"
                               "人均地区生产总值，按当年价格计算。"},
         "keywords": ["统计年鉴", "地区生产总值", "GDP", "三次产业"], "themes": ["ECON"], "issued": None,
         "modified": "2026-03-31", "temporal": ("2016-01-01", "2025-12-31"),
         "distributions": [dist(f"{YEARBOOK}/gdp-by-industry-2016-2025.csv", "CSV",
                                {"": "gdp-by-industry-2016-2025.csv"}, 3, ["no-uris"],
                                three.format(f="CSV") + "; UTF-8, described by the GBK sheet 元数据.csv")]},
        {**common, "slug": "resident-population-2016-2025", "source": "folder", "publisher": "jh-stats",
         "findings": ["encoding-not-utf8"],
         "title": {"zh": "京海市年末常住人口及自然变动（2016—2025年）"},
         "description": {"zh": "《京海统计年鉴》表3-1：京海市历年年末常住人口、城镇人口，"
                               "以及人口出生率、死亡率和自然增长率。"},
         "keywords": ["统计年鉴", "人口", "常住人口", "出生率"], "themes": ["SOCI"], "issued": None,
         "modified": "2026-03-31", "temporal": ("2016-01-01", "2025-12-31"),
         "distributions": [dist(f"{YEARBOOK}/resident-population-2016-2025.csv", "CSV",
                                {"": "resident-population-2016-2025.csv"}, 3, ["no-uris", "encoding-not-utf8"],
                                three.format(f="CSV") + "; GBK", encoding="gbk")]},
        {**common, "slug": "household-income-2016-2025", "source": "folder", "publisher": "jh-stats",
         "title": {"zh": "京海市居民人均可支配收入与消费支出（2016—2025年）"},
         "description": {"zh": "《京海统计年鉴》表5-1：京海市全体、城镇和农村居民人均可支配收入，"
                               "以及全体居民人均消费支出，按当年价格计算。"},
         "keywords": ["统计年鉴", "居民收入", "可支配收入", "消费支出"], "themes": ["ECON", "SOCI"], "issued": None,
         "modified": "2026-03-31", "temporal": ("2016-01-01", "2025-12-31"),
         "distributions": [dist(f"{YEARBOOK}/household-income-2016-2025.csv", "CSV",
                                {"": "household-income-2016-2025.csv"}, 3, ["no-uris"], three.format(f="CSV"))]},
    ]


# --------------------------------------------------------------------------- sources

def url(file: str) -> str:
    return FILES_BASE + file


def contact(pub: str) -> tuple[str, str]:
    return PUB[pub]["contact"], PUB[pub]["email"]


def ckan_source(items: list[dict], sizes: dict[str, int | None]) -> dict:
    org = PUB["jh-transport"]
    organization = {"id": uid("org", org["slug"]), "name": org["slug"], "title": org["name"]["zh"],
                    "type": "organization", "description": org["name"]["en"], "image_url": "",
                    "created": "2019-05-08T02:11:45.382100", "is_organization": True,
                    "approval_status": "approved", "state": "active"}
    results = []
    for d in items:
        pid = uid("dataset", d["slug"])
        lic = LICENCES[d["licence"]]
        name, email = contact(d["publisher"])
        extras = [{"key": "issued", "value": d["issued"]}, {"key": "modified", "value": d["modified"]},
                  {"key": "frequency", "value": EU + "frequency/" + d["frequency"]},
                  {"key": "theme", "value": json.dumps([EU + "data-theme/" + t for t in d["themes"]])},
                  {"key": "contact_name", "value": name}, {"key": "contact_email", "value": email},
                  {"key": "language", "value": "zh"}]
        if d["temporal"]:
            extras += [{"key": "temporal_start", "value": d["temporal"][0]},
                       {"key": "temporal_end", "value": d["temporal"][1]}]
        stamp = d["modified"] + "T08:30:00.000000"
        resources = []
        for pos, r in enumerate(d["distributions"]):
            fmt = FORMATS[r["format"]]
            resources.append({
                "id": uid("resource", d["slug"], r["file"]), "package_id": pid, "position": pos,
                "name": r["title"]["zh"], "description": "", "url": url(r["file"]), "url_type": None,
                "format": fmt[2], "mimetype": fmt[1], "mimetype_inner": None, "size": sizes[r["file"]],
                "hash": "", "created": d["issued"] + "T09:00:00.000000", "last_modified": stamp,
                "metadata_modified": stamp, "cache_url": None, "cache_last_updated": None,
                "datastore_active": False, "resource_type": None, "state": "active"})
        package = {
            "id": pid, "name": d["slug"], "title": d["title"]["zh"], "notes": d["description"]["zh"],
            "type": "dataset", "state": "active", "private": False, "version": None, "url": "",
            "author": org["name"]["zh"], "author_email": org["email"], "maintainer": name, "maintainer_email": email,
            "license_id": lic[0], "license_title": lic[1], "license_url": lic[2],
            "isopen": d["licence"] != "CC-BY-NC-4.0",
            "owner_org": organization["id"], "organization": organization, "creator_user_id": uid("user", "jtw-admin"),
            "metadata_created": d["issued"] + "T09:00:00.000000", "metadata_modified": stamp,
            "num_resources": len(resources), "num_tags": len(d["keywords"]),
            "tags": [{"id": uid("tag", k), "name": k, "display_name": k, "state": "active", "vocabulary_id": None}
                     for k in d["keywords"]],
            "groups": [], "extras": extras, "resources": resources,
            "relationships_as_object": [], "relationships_as_subject": [],
        }
        if "en" in d["title"]:
            package["title_translated"] = {"zh": d["title"]["zh"], "en": d["title"]["en"]}
            package["notes_translated"] = {"zh": d["description"]["zh"], "en": d["description"]["en"]}
        results.append(package)
    results.sort(key=lambda p: p["metadata_modified"], reverse=True)
    return {"help": "https://jtw.jinghai.example/api/3/action/help_show?name=package_search", "success": True,
            "result": {"count": len(results), "facets": {}, "results": results, "sort": "metadata_modified desc",
                       "search_facets": {}}}


def dcat_source(items: list[dict], sizes: dict[str, int | None]) -> str:
    pub = PUB["jh-environment"]
    agent = f"https://sthjj.{DOMAIN}/#org"
    typed: dict[str, str] = {}  # URI -> the class DCAT-AP's SHACL shapes expect it to declare

    def ref(uri: str, cls: str) -> str:
        typed.setdefault(uri, cls)
        return f"<{uri}>"

    base = f"https://sthjj.{DOMAIN}/opendata/"
    out = [
        "# DCAT-AP 3 catalog of the Jinghai Municipal Bureau of Ecology and Environment (京海市生态环境局).",
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
        "@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix dcatap: <http://data.europa.eu/r5r/> .",
        "@prefix eli: <http://data.europa.eu/eli/ontology#> .",
        "",
        f"<{base}catalog> a dcat:Catalog ;",
        f"    dct:title {ttl_str('京海市生态环境局数据目录', 'zh')} , "
        f"{ttl_str('Jinghai environment data catalog', 'en')} ;",
        f"    dct:description {ttl_str('京海市生态环境局开放数据目录。', 'zh')} , "
        f"{ttl_str('Open data of the Jinghai Municipal Bureau of Ecology and Environment.', 'en')} ;",
        f"    dct:publisher <{agent}> ;",
        f"    foaf:homepage {ref(pub['homepage'], 'foaf:Document')} ;",
        f"    dct:language {ref(EU + 'language/ZHO', 'dct:LinguisticSystem')} ;",
        "    dct:modified \"2026-04-01\"^^xsd:date ;",
        "    dcat:dataset " + " ,\n        ".join(f"<{base}dataset/{d['slug']}>" for d in items) + " .",
        "",
        f"<{agent}> a foaf:Agent , foaf:Organization ;",
        f"    foaf:name {ttl_str(pub['name']['zh'], 'zh')} , {ttl_str(pub['name']['en'], 'en')} ;",
        f"    dct:identifier {ttl_str(pub['slug'])} ;",
        f"    foaf:homepage {ref(pub['homepage'], 'foaf:Document')} ;",
        f"    foaf:mbox <mailto:{pub['email']}> .",
        "",
    ]
    for d in items:
        name, email = contact(d["publisher"])
        s = f"<{base}dataset/{d['slug']}>"
        lic = ref(LICENCES[d["licence"]][2], "dct:LicenseDocument")
        lines = [f"{s} a dcat:Dataset ;",
                 f"    dct:identifier {ttl_str(d['slug'])} ;",
                 "    dct:title " + " , ".join(ttl_str(v, k) for k, v in d["title"].items()) + " ;",
                 "    dct:description " + " , ".join(ttl_str(v, k) for k, v in d["description"].items()) + " ;",
                 "    dcat:keyword " + " , ".join(ttl_str(k) for k in d["keywords"]) + " ;",
                 "    dcat:theme " + " , ".join(ref(f"{EU}data-theme/{t}", "skos:Concept") for t in d["themes"]) + " ;",
                 f"    dct:publisher <{agent}> ;",
                 f"    dcat:contactPoint [ a vcard:Kind , vcard:Organization ; vcard:fn {ttl_str(name, 'zh')} ; "
                 f"vcard:hasEmail <mailto:{email}> ] ;",
                 f"    dct:issued \"{d['issued']}\"^^xsd:date ;",
                 f"    dct:modified \"{d['modified']}\"^^xsd:date ;",
                 f"    dct:accrualPeriodicity {ref(EU + 'frequency/' + d['frequency'], 'dct:Frequency')} ;",
                 f"    dct:license {lic} ;",
                 f"    dct:accessRights {ref(EU + 'access-right/PUBLIC', 'dct:RightsStatement')} ;",
                 f"    dct:spatial {ref(DATA_NS + 'id/city/jinghai', 'dct:Location')} ;",
                 f"    dcat:landingPage {ref(base + 'dataset/' + d['slug'] + '.html', 'foaf:Document')} ;"]
        if d.get("hvd"):  # a high-value dataset: its category and the HVD regulation, on it and its distributions
            lines.append(f"    dcatap:hvdCategory {ref(d['hvd'], 'skos:Concept')} ;")
            lines.append(f"    dcatap:applicableLegislation {ref(HVD_LEGISLATION, 'eli:LegalResource')} ;")
        if d["temporal"]:
            lines.append(f"    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate \"{d['temporal'][0]}\"^^xsd:date ; "
                         f"dcat:endDate \"{d['temporal'][1]}\"^^xsd:date ] ;")
        lines.append("    dcat:distribution " + " , ".join(
            f"<{base}dataset/{d['slug']}/distribution/{i + 1}>" for i in range(len(d["distributions"]))) + " .")
        out += lines + [""]
        for i, r in enumerate(d["distributions"]):
            fmt = FORMATS[r["format"]]
            dl = [f"<{base}dataset/{d['slug']}/distribution/{i + 1}> a dcat:Distribution ;",
                  "    dct:title " + " , ".join(ttl_str(v, k) for k, v in r["title"].items()) + " ;",
                  f"    dcat:accessURL {ref(url(r['file']), 'rdfs:Resource')} ;",
                  f"    dcat:downloadURL {ref(url(r['file']), 'rdfs:Resource')} ;",
                  f"    dct:format {ref(EU + 'file-type/' + fmt[0], 'dct:MediaTypeOrExtent')} ;",
                  f"    dcat:mediaType {ref(IANA + fmt[1], 'dct:MediaType')} ;",
                  f"    dct:license {lic} ;"]
            if d.get("hvd"):
                dl.append(f"    dcatap:applicableLegislation {ref(HVD_LEGISLATION, 'eli:LegalResource')} ;")
            if sizes[r["file"]] is not None:
                dl.append(f"    dcat:byteSize \"{sizes[r['file']]}\"^^xsd:nonNegativeInteger ;")
            dl.append(f"    dct:modified \"{d['modified']}\"^^xsd:date .")
            out += dl + [""]
    out.append("# Classes of the resources referred to (DCAT-AP 3 SHACL checks them without inference).")
    for uri, cls in sorted(typed.items()):
        if cls == "skos:Concept":
            en, zh = HVD_LABELS.get(uri) or THEME_LABELS[uri.rsplit("/", 1)[1]]
            out.append(f"<{uri}> a {cls} ; skos:prefLabel {ttl_str(en, 'en')} , {ttl_str(zh, 'zh')} .")
        elif cls == "dct:Location":  # the city's extent, as GeoDCAT-AP gives one: a WKT box (longitude first)
            out.append(f"<{uri}> a {cls} ; dcat:bbox \"{JINGHAI_BBOX_WKT}\"^^"
                       "<http://www.opengis.net/ont/geosparql#wktLiteral> .")
        else:
            out.append(f"<{uri}> a {cls} .")
    return "\n".join(out) + "\n"


def datajson_source(items: list[dict]) -> dict:
    office = PUB["jh-gov-office"]
    datasets_out = []
    for d in items:
        name, email = contact(d["publisher"])
        fmt_list = [FORMATS[r["format"]] for r in d["distributions"]]
        entry = {
            "@type": "dcat:Dataset",
            "identifier": d["slug"],
            "title": d["title"]["en"],
            "description": d["description"]["en"],
            "keyword": d["keywords"],
            "issued": d["issued"],
            "modified": d["modified"],
            "publisher": {"@type": "org:Organization", "@id": f"{office['homepage']}#org", "name": office["name"]["en"],
                          "subOrganizationOf": {"@type": "org:Organization", "name": "京海市人民政府"}},
            "contactPoint": {"@type": "vcard:Contact", "fn": name, "hasEmail": f"mailto:{email}"},
            "accessLevel": "public",
            "language": ["zh-CN"],
            "theme": d["themes"],
            "spatial": "Jinghai",
            "landingPage": f"https://www.{DOMAIN}/opendata/dataset/{d['slug']}",
            "distribution": [{"@type": "dcat:Distribution", "title": r["title"]["zh"], "downloadURL": url(r["file"]),
                              "mediaType": fmt[1], "format": fmt[2]}
                             for r, fmt in zip(d["distributions"], fmt_list, strict=True)],
        }
        if d["licence"]:
            entry["license"] = LICENCES[d["licence"]][2]
        if d["frequency"]:
            entry["accrualPeriodicity"] = FREQ_ISO[d["frequency"]]
        if d["temporal"]:
            entry["temporal"] = f"{d['temporal'][0]}/{d['temporal'][1]}"
        datasets_out.append(entry)
    return {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@type": "dcat:Catalog",
            "@id": f"https://www.{DOMAIN}/data.json",
            "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
            "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json", "dataset": datasets_out}


def datapackage_source(d: dict, sizes: dict[str, int | None], hashes: dict[str, str | None], schema: dict) -> dict:
    pub = PUB["jh-stats"]
    name, email = contact("jh-stats")
    resources = []
    for r in d["distributions"]:
        res = {"name": Path(r["file"]).stem.replace("_", "-").lower(), "path": url(r["file"]),
               "title": r["title"]["zh"], "format": "csv", "mediatype": "text/csv",
               "encoding": r.get("encoding", "utf-8"), "bytes": sizes[r["file"]], "hash": f"sha256:{hashes[r['file']]}"}
        if r.get("schema"):
            res["schema"] = schema
        resources.append(res)
    return {
        "name": d["slug"], "id": uid("dataset", d["slug"]), "title": d["title"]["zh"],
        "description": d["description"]["zh"], "keywords": d["keywords"], "version": "2024.1",
        "created": d["issued"] + "T09:00:00+08:00", "homepage": pub["homepage"],
        "licenses": [{"name": "CC-BY-4.0", "path": LICENCES["CC-BY-4.0"][2],
                      "title": "Creative Commons Attribution 4.0"}],
        "contributors": [{"title": name, "email": email, "role": "contact"}],
        "sources": [{"title": "国家统计局 国家数据", "path": "https://data.stats.gov.cn/"}],
        "x_publisher": {"slug": pub["slug"], "name": pub["name"], "email": pub["email"], "homepage": pub["homepage"],
                        "parent": pub["parent"]},
        "x_frequency": d["frequency"], "x_themes": d["themes"], "x_modified": d["modified"],
        "x_spatial": ["京海市"], "x_temporal": {"start": d["temporal"][0], "end": d["temporal"][1]},
        "x_language": ["zh"],
        "resources": resources,
    }


# --------------------------------------------------------------------------- expectations and docs

def expected(items: list[dict]) -> dict:
    out = {}
    for d in items:
        findings = list(d["findings"])
        for r in d["distributions"]:
            findings += [f for f in r["findings"] if f not in findings]
        out[d["slug"]] = {"stars": max(r["stars"] for r in d["distributions"]), "findings": findings,
                          "distributions": [{"file": r["file"], "stars": r["stars"], "findings": r["findings"]}
                                            for r in d["distributions"]]}
    return out


README_HEAD = """# data_samples: the government of Jinghai (京海市)

A fictional city whose departments publish data the way real ones do: every star level, and
the common messes. `make demo` serves `files/` on `http://127.0.0.1:5001/` (the departments'
web servers; `OPENDATA_DEMO_FILES_PORT`), registers the five sources of `sources.json`, harvests,
assesses and serves the catalog. The quality tests hold the engine to `expected.json`.

Everything here is written by `build.py` (fixed seeds and dates; run
`.venv/bin/python data_samples/build.py`), except three real files copied unchanged (SOURCES.md).
`tests/test_data_samples.py` rebuilds into a temporary folder and compares byte for byte.

**Fabricated personal data.** `files/jh-gov-office/hotline-complaints-2026.csv` holds names,
PRC resident identity numbers (valid GB 11643 check digits), mobile numbers, e-mail addresses
(on the reserved example.com/.org/.net domains) and UnionPay-style bank card numbers (valid Luhn
digits). All are random: they describe nobody. They exist so the PII checks have something to find.
The city, its departments and the domain `jinghai.example` (reserved, RFC 2606) are made up.

## Publishers (`publishers.json`)

| slug | 中文 | English | parent |
|---|---|---|---|
"""

README_RULES = """
## How to read the expectations

- **stars** of a dataset = the best of its distributions; each distribution's stars are decided
  from the downloaded bytes (sniffed format), the HTTP answer and the licence (DESIGN 5.1).
- A distribution at 0 stars carries the finding that explains the zero (`link-broken`,
  `html-not-data`, `licence-not-open`, `licence-missing`); a distribution at 1-4 stars carries the
  finding that names the next star it misses (`not-machine-readable`, `proprietary-format`,
  `no-uris`, `no-external-links`). A 5-star distribution has no star finding.
- An HTML page served with 200 where a CSV was promised is a soft 404: 0 stars and `html-not-data`
  (not also `format-mismatch`, whose fix would have it declared HTML). A missing licence is not
  open: 0 stars and `licence-missing` (not `licence-not-open`, which is for a licence that is
  known and not open).
- A dataset's `findings` = its dataset-level findings plus those of every distribution.
  The list is complete for the slugs below; the engine may add findings of other types
  (metadata points, description length ...).
- Dates are fixed, so timeliness depends on the day of the assessment: the expectations hold
  for assessments between 2026-11-01 and 2027-01-05 whatever the grace (tests should pass a
  fixed "now", e.g. 2026-11-23); with the half-period grace of `quality/timeliness.py` they hold
  until 2027-07-05. Only `traffic-violations-monthly` is stale (monthly, last modified
  2025-01-15); every other dataset is annual and was modified on or after 2026-01-05, or
  irregular, or (`normative-documents`) declares no frequency. The three yearbook tables of the
  folder source are annual and modified 2026-03-31 (the sheet's 更新日期 column, written `2026.03.31`).
- Catalog-wide: `taxi-fares` and `taxi-fares-2026` have the same title and publisher and their
  files have the same bytes (`duplicate-dataset`); `bus-ridership-2024-10/-11/-12` are one table
  split by month (`fragmented-series`). `jh-health` publishes nothing (an orphaned publisher).
- High-value datasets: the DCAT source tags `air-quality-monitoring-stations` and
  `surface-water-quality-sections` with the HVD category "Earth observation and environment"
  (`dcatap:hvdCategory` <http://data.europa.eu/bna/c_dd313021>) and the HVD regulation as
  `dcatap:applicableLegislation` on the datasets and their distributions; the HVD report
  (`/dashboard/hvd`) of the demo lists them.
- Places: the DCAT source's datasets cover the city (`dct:spatial <http://data.jinghai.example/id/city/jinghai>`),
  a `dct:Location` with a GeoDCAT-AP `dcat:bbox` (a WKT box around the city), so they carry an extent and a map;
  `bus-stops` gets its box from its GeoJSON file at assessment (docs/api.md, "Places").
- Slugs: CKAN `name`, DCAT `dct:identifier`, data.json `identifier` and the Data Package `name`
  all equal the slug; for the DCAT and data.json datasets the English title slugifies to it too; a
  folder's file name (without its extension) slugifies to the slug of its dataset.

Finding slugs: link-broken, licence-not-open, licence-missing, html-not-data,
not-machine-readable, proprietary-format, no-uris, no-external-links, encoding-not-utf8,
notes-rows, blank-header, duplicate-header, blank-row, duplicate-row, missing-cells, type-error,
pii-id-number, pii-phone, pii-email, pii-bank-card, stale, frequency-missing, duplicate-dataset,
fragmented-series.

## Sources (`sources.json`)

| name | type | file | publisher | notes |
|---|---|---|---|---|
{sources_table}

## Datasets (`expected.json`)

| slug | publisher | source | licence | frequency | file | stars | why | findings |
|---|---|---|---|---|---|---|---|---|
"""


SOURCE_NOTES = [
    ("jh-transport-ckan", "ckan", "sources/ckan/package_search.json", "jh-transport",
     "CKAN 2.9 `package_search` response; `title_translated`/`notes_translated` (ckanext-fluent) carry en; "
     "DCAT-style extras (issued, modified, frequency, theme, contact)"),
    ("jh-environment-dcat", "dcat", "sources/dcat/catalog.ttl", "jh-environment",
     "DCAT-AP 3 Turtle with EU file-type, frequency, theme and access-right URIs; the publisher is a foaf:Agent "
     "whose dct:identifier is its slug"),
    ("jh-gov-office-datajson", "datajson", "sources/datajson/data.json", "jh-gov-office",
     "Project Open Data v1.1; data.json has no language maps, so titles are English; `accrualPeriodicity` "
     "as ISO 8601"),
    ("jh-stats-datapackage", "datapackage", "sources/datapackage/datapackage.json", "jh-stats",
     "one Data Package = one dataset (as `catalog_schema.datapackage` maps it); resource `path`s are the absolute "
     "HTTP URLs of the files, so the descriptor works wherever it is read from; the population CSV carries a "
     "Table Schema; publisher, frequency and themes in the `x_*` keys that mapper reads"),
    ("jh-stats-yearbook", "datapackage (folder)", "files/jh-stats/yearbook/", "jh-stats",
     "a folder of yearbook tables, one dataset per file (`harvesters/files.py`), described by the metadata "
     "sheet `元数据.csv` (GBK, Chinese headers 文件, 标题, 描述, 许可协议, 关键词, 主题, 更新频率, 时间范围, "
     "空间范围, 更新日期); `config.base_url` `http://127.0.0.1:5001/jh-stats/yearbook/` says where the demo serves the "
     "folder, `config.defaults` give publisher, language `zh` and the contact point. The figures are "
     "fabricated (`build.py`, fixed seed): Jinghai has no yearbook"),
]


def readme(items: list[dict]) -> str:
    table = "\n".join(f"| {' | '.join(row)} |" for row in SOURCE_NOTES)
    lines = [README_HEAD.rstrip("\n")]
    for p in PUBLISHERS:
        lines.append(f"| {p['slug']} | {p['name']['zh']} | {p['name']['en']} | {p['parent'] or ''} |")
    lines.append(README_RULES.rstrip("\n").replace("{sources_table}", table))
    for d in items:
        for i, r in enumerate(d["distributions"]):
            head = (f"| {d['slug']} | {d['publisher']} | {d['source']} | {d['licence'] or '(none)'} | "
                    f"{d['frequency'] or '(none)'} " if i == 0 else "| | | | | ")
            findings = r["findings"] + ([f for f in d["findings"] if f not in r["findings"]] if i == 0 else [])
            lines.append(f"{head}| {r['file']}{' (missing)' if r.get('missing') else ''} | {r['stars']} | "
                         f"{r['why']} | {', '.join(findings)} |")
    return "\n".join(lines) + "\n"


def sources_md(hashes: dict[str, str | None]) -> str:
    lines = ["# Provenance of the real files in data_samples/files", "",
             "Copied unchanged (same bytes) from the project's shared real fixtures "
             "(`fixtures/real/messy/`, see tests/fixtures/SOURCES.md for where those came from). "
             "`build.py` copies them; the sha256 below is checked by tests/test_data_samples.py; "
             "everything else here is generated.", "",
             "| file | copied from | what it is | sha256 |", "|---|---|---|---|"]
    for dest, (name, what) in REAL_FILES.items():
        lines.append(f"| files/{dest} | fixtures/real/messy/{name} | {what} | {hashes[dest]} |")
    lines += ["", "Origins: `nbs_*_gbk.csv` are China National Bureau of Statistics exports (国家数据, "
              "data.stats.gov.cn) from the repositories Tobby-star/dynamic_datas and "
              "RenJiyi163/panel_data_analysis_for_thesis; `messytables_simple.xls` is from okfn/messytables "
              "@ 3366a08 : horror/simple.xls (MIT). In the demo the Galway/Berkeley table plays the environment "
              "bureau's sister-city temperatures, and the NBS tables are republished by the statistics bureau.", "",
              "Not real: the statistics bureau's yearbook folder (`files/jh-stats/yearbook/`: GDP by industry, "
              "resident population, household income and consumption, 2016-2025, and its metadata sheet "
              "`元数据.csv`) is generated by `build.py` from a fixed seed. Its figures are plausible in size and "
              "add up (the three industries sum to the GDP), but they are made up for the fictional city of "
              "Jinghai and describe no real place.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- build

def generated_files() -> dict[str, bytes]:
    """Department files written by this script: path under files/ -> bytes."""
    rng = random.Random(20260101)
    files = {"jh-transport/bus-stops.geojson": bus_stops(rng)}
    for m in ("10", "11", "12"):
        files[f"jh-transport/bus-ridership-2024-{m}.csv"] = bus_ridership(rng, f"2024-{m}")
    taxi = taxi_fares_xlsx()
    files["jh-transport/taxi-fares.xlsx"] = taxi
    files["jh-transport/uploads/taxi-fares.xlsx"] = taxi
    files["jh-transport/parking-lots.csv"] = PARKING_HTML.encode("utf-8")
    files["jh-transport/traffic-violations-2024.csv"] = traffic_violations(rng)
    files["jh-transport/bicycle-stations.json"] = bicycle_stations(rng)
    files["jh-environment/air-quality-stations.ttl"] = air_stations_ttl()
    files["jh-environment/water-quality-sections.ttl"] = water_sections_ttl(rng)
    files["jh-environment/air-quality-2025.xml"] = air_quality_xml(rng)
    files["jh-environment/noise-monitoring.ods"] = noise_ods(rng)
    files["jh-environment/key-pollutant-units.csv"] = emissions_register(rng)
    files["jh-gov-office/general-public-budget-2024.pdf"] = budget_pdf()
    files["jh-gov-office/hotline-complaints-2026.csv"] = complaints(rng)
    files["jh-gov-office/service-statistics.csv"] = service_statistics(rng)
    files["jh-gov-office/working-day-calendar-2026.json"] = working_calendar()
    files["jh-gov-office/normative-documents.xml"] = normative_documents()
    files["jh-stats/population-by-district-2024.csv"], _ = population(rng)
    yearbook = random.Random(20260331)  # a draw of its own: the other files keep their bytes
    files[f"{YEARBOOK}/gdp-by-industry-2016-2025.csv"] = yearbook_gdp(yearbook)
    files[f"{YEARBOOK}/resident-population-2016-2025.csv"] = yearbook_population(yearbook)
    files[f"{YEARBOOK}/household-income-2016-2025.csv"] = yearbook_income(yearbook)
    files[f"{YEARBOOK}/元数据.csv"] = yearbook_sheet(datasets())
    return files


def outputs(real_dir: Path) -> dict[str, bytes]:
    """Every generated output: path under data_samples/ -> bytes. `real_dir` holds the real copies."""
    items = datasets()
    files = generated_files()
    real = {dest: (real_dir / dest).read_bytes() for dest in REAL_FILES}
    everything = {**files, **real}
    sizes: dict[str, int | None] = {}
    hashes: dict[str, str | None] = {}
    for d in items:
        for r in d["distributions"]:
            data = everything.get(r["file"])
            if r.get("missing"):
                assert data is None, f"{r['file']} must stay missing"
            else:
                assert data is not None, f"no bytes for {r['file']}"
            sizes[r["file"]] = len(data) if data is not None else None
            hashes[r["file"]] = hashlib.sha256(data).hexdigest() if data is not None else None
    for d in items:
        if d["source"] in ("dcat", "datajson"):
            assert slugify(d["title"]["en"]) == d["slug"], d["slug"]
    schema = population(random.Random(0))[1]  # the schema does not depend on the draws
    by_source = {s: [d for d in items if d["source"] == s] for s in ("ckan", "dcat", "datajson", "datapackage")}
    out = {f"files/{k}": v for k, v in files.items()}

    def js(obj: object) -> bytes:
        return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    out["sources/ckan/package_search.json"] = js(ckan_source(by_source["ckan"], sizes))
    out["sources/dcat/catalog.ttl"] = dcat_source(by_source["dcat"], sizes).encode("utf-8")
    out["sources/datajson/data.json"] = js(datajson_source(by_source["datajson"]))
    out["sources/datapackage/datapackage.json"] = js(
        datapackage_source(by_source["datapackage"][0], sizes, hashes, schema))
    out["sources.json"] = js([
        {"name": "jh-transport-ckan", "type": "ckan", "url": "sources/ckan/package_search.json",
         "publisher": "jh-transport"},
        {"name": "jh-environment-dcat", "type": "dcat", "url": "sources/dcat/catalog.ttl",
         "publisher": "jh-environment"},
        {"name": "jh-gov-office-datajson", "type": "datajson", "url": "sources/datajson/data.json",
         "publisher": "jh-gov-office"},
        {"name": "jh-stats-datapackage", "type": "datapackage", "url": "sources/datapackage/datapackage.json",
         "publisher": "jh-stats"},
        {"name": "jh-stats-yearbook", "type": "datapackage", "url": f"files/{YEARBOOK}", "publisher": "jh-stats",
         "config": {"base_url": url(YEARBOOK + "/"),
                    "defaults": {"publisher": "jh-stats", "language": "zh",
                                 "contact_point": {"name": PUB["jh-stats"]["contact"],
                                                   "email": PUB["jh-stats"]["email"]}}}}])
    out["publishers.json"] = js([{"slug": p["slug"], "name": p["name"], "homepage": p["homepage"], "email": p["email"],
                                  "parent": p["parent"], "uri": f"{p['homepage']}#org"} for p in PUBLISHERS])
    out["expected.json"] = js(expected(items))
    out["README.md"] = readme(items).encode("utf-8")
    out["SOURCES.md"] = sources_md({dest: hashlib.sha256(b).hexdigest() for dest, b in real.items()}).encode("utf-8")
    return out


def copy_real(root: Path = ROOT, upstream: Path | None = None) -> None:
    """Copy the real files from `upstream` (a folder holding them under their names in REAL_FILES) when one is
    given; otherwise keep the committed copies, which must be there."""
    for dest, (name, _) in REAL_FILES.items():
        target = root / "files" / dest
        if upstream is not None and (upstream / name).exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(upstream / name, target)
        elif not target.exists():
            raise SystemExit(f"missing real file {target}: give the folder holding {name} as --real FOLDER")


def write(out: dict[str, bytes], root: Path) -> None:
    for rel, data in sorted(out.items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def main(argv: list[str]) -> int:
    upstream = Path(argv[argv.index("--real") + 1]) if "--real" in argv[:-1] else None
    copy_real(ROOT, upstream)
    write(outputs(ROOT / "files"), ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
