"""The text encoding of bytes: BOMs, UTF-8, UTF-16 without a BOM, Chinese, Korean, Japanese and Western legacy
codecs. One decision for every door that reads text: the sniffer (upload, assessment), the table reader (preview,
row store, profile, conversions), a harvested metadata sheet, an HTTP answer's text. It sits in plumbing because
harvesters and quality may not import each other, and two doors deciding apart read one file two ways.

``detect_encoding`` is the entry point; ``chinese_or_korean`` the rule for bytes that decode cleanly both as
GBK/GB18030 and as EUC-KR/CP949 (see its docstring and docs/quality.md). ``decide_encoding`` puts what a file's
source declares (``declarations``: its metadata's encoding, its HTTP charset) before detection, when the bytes bear
the declaration out.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

HEAD_BYTES = 64 * 1024  # the encoding is decided from this much of the start (and a window at its first non-ASCII)

#: The version of `detect_encoding`'s decisions: raise it whenever the same bytes may now be given another encoding.
#: Each distribution records the version that decided its encoding (`Distribution.encoding_detector`), and a
#: re-check of a table decided by an older one reads it again when today's decision differs from the encoding its
#: stored table was read with (app/assessment.py; `opendata datastore stale` lists those not re-checked yet).
#: 1: UTF-8, then charset-normalizer and the byte-pattern rules on the first 64 KB. 2: a file whose head is ASCII
#: is decided on a window at its first non-ASCII byte (GBK after an ASCII head had been read as UTF-8 or Latin-1).
#: 3: short Chinese and short Korean are told apart by reading the text both ways (`chinese_or_korean`: a two-line
#: GBK table had been read as cp949, a two-line EUC-KR one as GBK). 4: Western and Central European text are told
#: apart by the letters each reading writes (`central_european`: cp1252 French and Spanish had been read as cp1250,
#: "Genève" as "Genčve"; cp1250 Czech as GBK). 5: Latin text whose accented letters come in pairs inside words is
#: not read as Chinese (`_inside_latin_words`: one short Portuguese table in ten had been read as GBK, "situação" as
#: "situa玢o", and the rest of them as HP Roman-8).
DETECTOR_VERSION = 5

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (9, 10, 12, 13, 27))


def looks_binary(chunk: bytes) -> bool:
    """Many NULs or C0 control bytes: not text in any encoding we read (UTF-16 is caught first)."""
    if not chunk:
        return False
    controls = len(chunk) - len(chunk.translate(None, _CONTROL_BYTES))
    return controls / len(chunk) > 0.05


_NON_ASCII = re.compile(rb"[\x80-\xff]")


_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_ASCII_BYTES = bytes(range(0x80))


_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


_WESTERN_PUNCT = frozenset("€‚„…†‡‰‹›‘’“”•–—™«»°£§©®¿¡½¼¾²³µ·\xa0\xad")


_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F),  # ideographs
    (0x3000, 0x303F), (0xFF00, 0xFFEF), (0xFE30, 0xFE4F),  # CJK and full-width punctuation
    (0x2010, 0x203B), (0x2160, 0x217F), (0x2460, 0x24FF), (0x2190, 0x21FF), (0x25A0, 0x25FF),
    (0x00B7, 0x00B7), (0x00D7, 0x00D7), (0x00B0, 0x00B1), (0x2103, 0x2103), (0x2116, 0x2116),
)


def detect_encoding(data: bytes) -> tuple[str | None, float]:
    """(encoding, confidence) of text bytes; (None, 0.0) for binary or empty input.

    Order: a BOM; pure ASCII; valid UTF-8; UTF-16 without a BOM (NUL pattern); then for legacy
    8-bit text our own byte-pattern rules before charset-normalizer, because on government
    files charset-normalizer often names short GBK as Big5 and cp1252 as cp1250: Chinese
    double-byte text shows as even-length runs of high bytes (GBK when every pair lies in the
    GB2312 block, Big5 when trail bytes fall below 0x80), Latin-script text as isolated accented
    letters inside ASCII words: Central European (cp1250, ISO-8859-2) when its letters read so
    (`central_european`), else Western (Latin-1, or cp1252 when its 0x80-0x9F punctuation is used).
    Only the first `HEAD_BYTES` are examined, plus a window at the first non-ASCII byte when
    the head is pure ASCII, so an accent on line 10,000 is still seen.
    """
    if not data:
        return None, 0.0
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, 1.0
    head = data[:HEAD_BYTES]
    cut = len(data) > HEAD_BYTES
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16:
            return utf16, 0.9
        if head.count(b"\x00") > len(head) // 100 or looks_binary(head):
            return None, 0.0
    elif looks_binary(head):
        return None, 0.0
    sample, sample_cut = head, cut
    if head.isascii():
        if not cut or data.isascii():
            return "ascii", 1.0
        pos = _NON_ASCII.search(data).start()
        sample = data[pos: pos + HEAD_BYTES]
        sample_cut = pos + HEAD_BYTES < len(data)
    if decodes(sample, "utf-8", sample_cut):
        return "utf-8", 0.99
    return _legacy_encoding(sample, sample_cut)


def decodes(sample: bytes, encoding: str, cut: bool) -> bool:
    """True when `sample` decodes strictly, allowing a multi-byte character split by the cut."""
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=not cut)
    except (UnicodeError, LookupError):
        return False
    return True


def _utf16_without_bom(head: bytes) -> str | None:
    window = head[:4096]
    pairs = len(window) // 2
    if pairs < 2:
        return None
    even_nul = sum(1 for i in range(0, pairs * 2, 2) if window[i] == 0)
    odd_nul = sum(1 for i in range(1, pairs * 2, 2) if window[i] == 0)
    if odd_nul >= pairs * 0.4 and even_nul <= pairs * 0.05:
        name = "utf-16-le"
    elif even_nul >= pairs * 0.4 and odd_nul <= pairs * 0.05:
        name = "utf-16-be"
    else:
        return None
    return name if decodes(head[: len(head) // 2 * 2], name, True) else None


def _legacy_encoding(sample: bytes, cut: bool) -> tuple[str | None, float]:
    runs = list(map(len, _HIGH_RUN.findall(sample)))  # the lengths of the runs of high bytes
    isolated = runs.count(1) / len(runs)
    if isolated >= 0.5:  # accented letters one by one between ASCII ones: a Latin-script code page
        latin = _latin_encoding(sample)
        if latin is not None:
            return latin
    matches = _normalizer_matches(sample)
    guess = matches[0] if matches else None
    chinese = _chinese_encoding(sample, cut)
    korean = chinese_or_korean(sample, cut, chinese[0] if chinese else None,
                               [m[0] for m in matches if m[0] in KOREAN_CODECS or m[2] == "Korean"])
    if korean is not None:
        return korean, next(m[1] for m in matches if m[0] == korean)
    if guess and guess[2] == "Japanese" and decodes(sample, guess[0], cut) \
            and (chinese is None or _reads_japanese(sample, guess[0], cut)):
        return guess[0], guess[1]  # EUC-JP shares GB2312's byte ranges: the text decides
    if chinese is not None:
        return chinese
    if guess is None or guess[0].startswith(("utf-16", "utf-32")) or not decodes(sample, guess[0], cut):
        return None, 0.0
    if guess[0] == "gb18030" and decodes(sample, "gbk", cut):
        return "gbk", guess[1]
    if guess[0] in _LATIN_LOOKALIKES:  # of runs of accented letters too ("educação"): see central_european
        return _latin_encoding(sample) or (guess[0], guess[1])
    return guess[0], guess[1]


#: What charset-normalizer names short Western or Central European tables whose accented letters come in runs
#: ("educação" as cp1250; as HP Roman-8, where "situação" reads "situaÁÊo", once no Chinese reading is left).
_LATIN_LOOKALIKES = frozenset({"cp1250", "iso8859-2", "hp_roman8", "hp-roman8"})


def _latin_encoding(sample: bytes) -> tuple[str, float] | None:
    """The Latin-script code page of `sample`: Central European (`central_european`), else Western when it reads
    so (cp1252 when it uses cp1252's punctuation in 0x80-0x9F, else Latin-1); None when it reads as neither."""
    central = central_european(sample)
    if central is not None:
        return central, 0.85
    if not _plausible_western(sample):
        return None
    c1 = set(sample.translate(None, _NOT_C1))
    if c1 and not c1 & _CP1252_UNDEFINED:
        return "cp1252", 0.85
    return "latin-1", 0.85


KOREAN_CODECS = frozenset({"cp949", "euc_kr", "johab", "iso2022_kr"})

#: Hangul syllables that make up most Korean text: particles, endings, the syllables of common nouns, of
#: administrative and statistical words (시, 군, 구, 읍, 면, 동, 인구, 세대, 합계, 면적), of family and given names.
#: Chinese GBK bytes read as EUC-KR/CP949 decode to Hangul too, but to syllables spread over all 2,350 of
#: KS X 1001 (地区,人口 -> 뒈혐,훙왯), few of them here.
_COMMON_HANGUL = frozenset(
    "이다는의에하고을가지기로서한사자대시수리정도인보어주제전일과나부생있들성상그해스아게만것니등장여국라구적우학경를"
    "었소면무동문안원거모개마신비유오내은요세회연드되까현위방미후선물공화간계식조민용관중발실업단및결법진습없명차분통"
    "합설품번호금산행체남교재강영각출청속역표였데처토종저북특별입치록터외린울월년개월말더또때문면서받반복본불새석순승"
    "심양억예완왕운율음응의임작점접조직집초최추충타파평포필향헌혁형확활황효히"
    "군읍광역도청총액평균비율증감가구주택농촌읍면세대남녀령별기준현황"
    "김박윤권홍손배백허노곽엄채천함변염추탁옥맹철희준훈환규태숙혜경미순")

#: Han characters that make up most Chinese text: the most frequent in general use, and those of administrative
#: and statistical words (省, 市, 县, 区, 乡, 镇, 街道, 人口, 面积, 总值, 合计, 同比) and of the provinces' names.
#: Korean EUC-KR bytes read as GBK decode to Han characters too, but to ones spread over GB2312's first level
#: (구,인구 -> 掘,牢掘), few of them here.
_COMMON_HAN = frozenset(
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家"
    "种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十"
    "民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯"
    "月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女"
    "变四神总何电数安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基"
    "眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今"
    "切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗"
    "字爱击流备兵连调深商算质团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写"
    "称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选列武红响虽"
    "推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧"
    "黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿千值仍男钱破网热助倒育属坐帝限船脸职"
    "速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险"
    "待述陆习置居劳财环排福纳欢雷警获模充负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担州静退既衣您宗积"
    "余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊超免压银买皇养伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左右份"
    "穿艺背阵草脚概恶块顿敢守酒岛托央户烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮"
    "露永呼味野架域沙掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困剑渐封救贵枪缺楼县尚毫移娘朋画班智亦耳恩短掌恐遗固席松秘"
    "谢鲁遇康虑幸均销钟诗藏赶剧票损忽巨炮旧端探湖录叶春乡附吸予礼港雨呀板庭妇归睛饭额含顺输摇招婚脱补谓督毒油疗旅泽材"
    "灭逐莫笔亡鲜词圣择寻厂睡博勒烟授诺伦岸奥唐卖俄炸载洛健堂旁宫喝借君禁阴园谋宋避抓荣姑孙逃牙束跳顶玉镇雪午练迫爷篇"
    "肉嘴馆遍凡础洞卷坦牛宁纸诸训私庄祖丝翻暴森塔默握戏隐熟骨访弱蒙歌店鬼软典欲萨伙遭盘爸扩盖弄雄稳忘亿刺拥徒姆杨齐赛"
    "趣曲刀床迎冰虚玩析窗醒妻透购替塞努休虎扬途侵刑绿兄迅套贸毕唯谷轮库迹尤竞街促延震弃甲伟麻川申缓潜闪售灯针哲络抵朱"
    "埃抱鼓植纯夏忍页杰筑折郑贝尊吴秀混臣雅振染盛怒舞圆搞狂措姓残秋培迷诚宽宇猛摆梅毁伸摩盟末乃悲拍丁赵"
    "厅科亩吨辆顷邮码址址籍镇乡社街坊栏览储耗粮棉蔬禽渔牧畜矿煤耕津沪渝冀晋辽闽赣豫鄂湘粤桂琼蜀黔滇陕甘疆澳")
_KANA = (0x3040, 0x30FF)


def chinese_or_korean(sample: bytes, cut: bool, chinese: str | None, korean: list[str]) -> str | None:
    """The Korean encoding of `korean` (charset-normalizer's Korean candidates; of several, the one whose reading
    has the most common syllables) that `sample` is written in, or None when it is not Korean text: the tie-break
    between Chinese and Korean, applied after charset-normalizer. EUC-KR puts its 2,350 Hangul syllables at the
    byte pairs where GB2312 puts most of its first level of Han characters, so a short table decodes cleanly both
    ways and the bytes alone cannot tell.
    The text read each way can. A Korean candidate is taken when its text is mostly Hangul syllables
    (U+AC00-U+D7A3: four non-ASCII characters in five, the rest may be hanja or symbols) and more of them are
    common Korean syllables (`_COMMON_HANGUL`, at least 30%) than the GB reading (`chinese`: GBK, GB18030 or Big5,
    when it reads as Chinese at all) has common Han characters (`_COMMON_HAN`). A tie goes to Chinese. GBK read
    as Korean gives rare syllables (GB2312's first level up to 叁), no text (伞 to 绳: KS X 1001 leaves those
    bytes undefined) or hanja (from 省 on); Korean read as GBK gives Han characters spread evenly over the first
    level, few of them common."""
    best: tuple[float, str] | None = None
    for name in dict.fromkeys(korean):
        if not decodes(sample, name, cut):
            continue
        wide = _wide(codecs.getincrementaldecoder(name)("replace").decode(sample[:20_000], final=not cut))
        hangul = [ch for ch in wide if 0xAC00 <= ord(ch) <= 0xD7A3]
        if not wide or len(hangul) < 0.8 * len(wide):
            continue
        share = sum(1 for ch in hangul if ch in _COMMON_HANGUL) / len(hangul)
        if share >= 0.3 and (best is None or share > best[0]):
            best = (share, name)
    if best is None:
        return None
    if chinese is not None:
        wide = _wide(codecs.getincrementaldecoder(chinese)("replace").decode(sample[:20_000], final=not cut))
        if wide and sum(1 for ch in wide if ch in _COMMON_HAN) / len(wide) >= best[0]:
            return None
    return best[1]


def _wide(text: str) -> list[str]:
    return [ch for ch in text if ord(ch) >= 0x80]


def _reads_japanese(sample: bytes, encoding: str, cut: bool) -> bool:
    """Whether `sample`, which GBK also decodes into Chinese, reads as Japanese in `encoding`: Japanese text has
    kana, GBK read as EUC-JP kanji alone (姓名 -> 侖兆)."""
    wide = _wide(codecs.getincrementaldecoder(encoding)("replace").decode(sample[:20_000], final=not cut))
    return not wide or sum(1 for ch in wide if _KANA[0] <= ord(ch) <= _KANA[1]) / len(wide) >= 0.05


def _cjk_share(text: str) -> tuple[float, int]:
    """Share of non-ASCII characters that Chinese text is made of, and how many there were.

    GB2312 rows A4-A9 hold kana, Greek, Cyrillic and box drawing: Big5 text decoded as GBK
    lands there, so the share tells the right decoding from a wrong one that merely decodes.
    """
    total = cjk = 0
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            continue
        total += 1
        if any(lo <= code <= hi for lo, hi in _CJK_RANGES):
            cjk += 1
    return (cjk / total if total else 0.0), cjk


def _chinese_encoding(sample: bytes, cut: bool) -> tuple[str, float] | None:
    """GBK, GB18030 or Big5, whichever decodes `sample` into Chinese text; ties go to GBK. None of Latin text whose
    accented letters in pairs are valid GBK and Big5 pairs (`_inside_latin_words`: Portuguese's "ção")."""
    if _inside_latin_words(sample[:20_000]):
        return None
    best: tuple[float, str, int] | None = None
    for name in ("gbk", "gb18030", "big5"):
        if name == "gb18030" and best is not None:
            continue  # GBK decoded it: GBK suffices, report the smaller encoding
        try:
            text = codecs.getincrementaldecoder(name)("strict").decode(sample, final=not cut)
        except UnicodeDecodeError:
            continue
        share, count = _cjk_share(text[:20_000])
        if best is None or share > best[0]:
            best = (share, name, count)
    if best is None or best[0] < 0.8:
        return None
    return best[1], (0.9 if best[2] >= 8 else 0.7)


#: One or two high bytes inside a word of ASCII letters: an accented letter or two ("situação", "região", "saúde").
#: The letter before is not itself after a high byte: Big5 puts trail bytes there ("臺北" is B1 4F A5 5F).
_IN_A_WORD = re.compile(rb"(?<=[A-Za-z])(?<![\x80-\xff][A-Za-z])[\x80-\xff]{1,2}(?=[A-Za-z])")


def _inside_latin_words(sample: bytes) -> bool:
    """Whether most runs of high bytes of `sample` are one or two bytes inside a word of ASCII letters: Latin-script
    text, which a double-byte code page may decode too ("situação" in cp1252 read as GBK is "situa玢o", "região"
    "regi鉶", the trail byte an ASCII letter). Chinese text stands in runs of its own, beside punctuation, digits and
    other Chinese; a term glued to Latin letters on both sides and no longer than one character ("B超X") is rare."""
    runs = len(_HIGH_RUN.findall(sample))
    return runs > 0 and len(_IN_A_WORD.findall(sample)) * 2 >= runs


def _plausible_western(sample: bytes) -> bool:
    """Accented letters sitting inside words, or typographic punctuation: Western 8-bit text."""
    text = sample.decode("cp1252", "replace")
    total = len(sample.translate(None, _ASCII_BYTES))
    plausible = len(_WESTERN_PUNCT_RE.findall(text)) + len(_LETTER_BY_ASCII.findall(text))
    return total > 0 and plausible / total >= 0.8


#: A letter that is not ASCII (nor `_WESTERN_PUNCT`, counted apart) beside an ASCII letter; ¹ is no letter.
_LETTER = "[^\\W\\d_\\x00-\\x7f¹" + re.escape("".join(sorted(_WESTERN_PUNCT))) + "]"
_LETTER_BY_ASCII = re.compile(f"(?<=[A-Za-z]){_LETTER}|{_LETTER}(?=[A-Za-z])")
_WESTERN_PUNCT_RE = re.compile("[" + re.escape("".join(sorted(_WESTERN_PUNCT))) + "]")


#: The accented letters each language writes (lower case), of the Western languages cp1252 and Latin-1 are made
#: for and of the Central European ones cp1250 and ISO-8859-2 are. German's go with every language: German names
#: and words stand in files of all of them. Bytes where the two code pages differ are one of these letters in one
#: reading and another letter or a symbol in the other (0xE8 is è in cp1252, č in cp1250; 0xF1 ñ and ń; 0xB3 ³
#: and ł), so which reading writes one language the more consistently tells the code page.
_WESTERN_LETTERS = {
    "French": "àâæçéèêëîïôœùûüÿ", "Spanish": "áéíñóúü", "Portuguese": "áâãàçéêíóôõú", "Italian": "àèéìíîòóùú",
    "Catalan": "àçèéíïòóúü", "Dutch": "éèëïóöü", "Danish/Norwegian": "æøåé", "Swedish/Finnish": "åäöé",
    "Icelandic": "áðéíóúýþæö",
}
_CENTRAL_LETTERS = {
    "Czech": "áčďéěíňóřšťúůýž", "Slovak": "áäčďéíĺľňóôŕšťúýž", "Polish": "ąćęłńóśźż", "Hungarian": "áéíóöőúüű",
    "Croatian/Slovene": "čćđšž", "Romanian": "ăâîşţ",
}
#: Symbols text in each reading may hold (the rest, in a word or not, are bytes read wrongly: ˇ ˘ ˛ ˙ in cp1250 where
#: cp1252 has ¡ ¢ ² ÿ, ¹ ¾ in cp1252 where cp1250 has ą ľ).
_WESTERN_SYMBOLS = _WESTERN_PUNCT | frozenset("×÷±¢¥¤¦¨´¸ªº")
_CENTRAL_SYMBOLS = frozenset("€‚„…†‡‰‹›‘’“”•–—™«»°§©®µ·\xa0\xad×÷±¤¦¨´¸")


@cache
def _readings(codec: str) -> tuple[str, ...]:
    """The character each byte 0x80-0xFF is in a single-byte `codec` (U+FFFD where it defines none)."""
    return tuple(bytes([b]).decode(codec, "replace") for b in range(0x80, 0x100))


def _reading_score(counts: dict[int, int], inside: dict[int, int], codec: str, alphabets: dict[str, str],
                   symbols: frozenset[str]) -> tuple[int, int]:
    """How consistently `counts` (of the high bytes of a text; `inside`: of those between two letters) read in
    `codec` as text in one or two of the languages of `alphabets` (a table of towns of two countries): the letters of
    the languages that fit best, and the `symbols` text holds outside words (³ in "m³", ¿ in "¿Qué?"; ’ anywhere),
    less the other characters (German's letters count neither way); and how many that leaves unexplained."""
    chars = _readings(codec)
    said = sum(n - (0 if chars[b - 0x80] in _IN_WORDS else inside.get(b, 0))
               for b, n in counts.items() if chars[b - 0x80] in symbols)
    known = [frozenset(b for b in counts if chars[b - 0x80].lower() in letters) for letters in alphabets.values()]
    total = sum(n for b, n in counts.items() if chars[b - 0x80].lower() not in _GERMAN)
    best: tuple[int, int] | None = None
    for i, first in enumerate(known):
        for second in known[i:]:
            fits = said + sum(counts[b] for b in first | second)
            score = 2 * fits - total - (first is not second)  # one language before two that read it as well
            if best is None or score > best[0]:
                best = (score, total - fits)
    return best if best is not None else (0, 0)


@cache
def _between_letters() -> re.Pattern[bytes]:
    """A byte that is a symbol in one of the readings, between two letters (ASCII or high bytes, letters in a
    reading that fits); only such bytes are looked for, a regular expression's scan being most of the cost."""
    symbols = {b for b in range(0x80, 0x100) if _readings("cp1252")[b - 0x80] in _WESTERN_SYMBOLS
               or any(_readings(c)[b - 0x80] in _CENTRAL_SYMBOLS for c in ("cp1250", "iso8859-2"))}
    which = b"".join(re.escape(bytes([b])) for b in sorted(symbols))
    return re.compile(rb"[A-Za-z\x80-\xff]([" + which + rb"])(?=[A-Za-z\x80-\xff])")


def _words_hold(pairs: dict[bytes, int], codec: str) -> bool:
    """Whether the letters `codec` reads the high bytes as make words with the ASCII after them (`pairs`: a high byte
    and the byte after it, 0x40-0x7E, counted): a small letter followed by a small one, a capital by a capital or a
    small one, nine times in ten. Big5 puts its trail bytes there: @ [ ] ^ _ ` { | } ~ and capitals after small
    letters as often as not (鄉 is B6 6D, ś and m in ISO-8859-2, but 北 is A5 5F, Ą and _)."""
    chars = _readings(codec)
    odd = total = 0
    for pair, n in pairs.items():
        total += n
        letter, after = chars[pair[0] - 0x80], chr(pair[1])
        if not after.isalpha() or (letter.isalpha() and letter.islower() and after.isupper()):
            odd += n
    return odd * 10 <= total


_HIGH_THEN_ASCII = re.compile(rb"[\x80-\xff][\x40-\x7e]")


def central_european(sample: bytes) -> str | None:
    """cp1250 or ISO-8859-2 when `sample`, text of accented letters between ASCII ones, is Central European text
    (Czech, Slovak, Polish, Hungarian, Croatian, Slovene, Romanian): its high bytes read in that code page as one of
    those languages' letters (four in five at least) more consistently than they read in cp1252 as a Western
    language's, and its letters make words with the ASCII after them (`_words_hold`); None otherwise, ties too.
    Western text in cp1252 read as cp1250 keeps é, ü, ß and € but turns è, à, ñ, ê into č, ŕ, ń, ę ("Genève" as
    "Genčve", "Coruña" as "Coruńa"), which no one language writes together; charset-normalizer, asked before, named
    a fifth to a third of short French, Italian and Dutch tables cp1250 on such readings ("Romanian", "Hungarian")
    and the preview, the row store and data.csv carried the wrong letters. Bytes both code pages read alike
    (German, much French) are cp1252's."""
    high = sample.translate(None, _ASCII_BYTES)
    if not high:
        return None
    counts = Counter(high)
    pairs = Counter(_HIGH_THEN_ASCII.findall(sample))
    inside = Counter(b"".join(_between_letters().findall(sample)))
    western, _ = _reading_score(counts, inside, "cp1252", _WESTERN_LETTERS, _WESTERN_SYMBOLS)
    found: tuple[int, str] | None = None
    for codec in ("cp1250", "iso8859-2"):
        score, unexplained = _reading_score(counts, inside, codec, _CENTRAL_LETTERS, _CENTRAL_SYMBOLS)
        if unexplained * 5 <= len(high) and score > western and (found is None or score > found[0]) \
                and _words_hold(pairs, codec):
            found = (score, codec)
    return found[1] if found is not None else None


_GERMAN = frozenset("äöüß")
_NOT_C1 = bytes(b for b in range(0x100) if not 0x80 <= b <= 0x9F)
_IN_WORDS = frozenset("’‘·\xad")  # symbols that stand between letters: d’hôtel, l·l



def _normalizer_matches(sample: bytes) -> list[tuple[str, float, str]]:
    """charset-normalizer's candidates, best first, as (canonical codec name, confidence, language)."""
    import charset_normalizer  # only for the bytes our own rules cannot place

    return [(canonical(m.encoding), max(0.1, 0.8 * (1.0 - m.chaos)), m.language)
            for m in charset_normalizer.from_bytes(sample[:16384])]


def canonical(name: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return name
    return {"iso8859-1": "latin-1", "gb2312": "gbk", "utf_8": "utf-8", "windows-1252": "cp1252"}.get(codec, codec)


# --------------------------------------------------------------------------- declared encodings


#: The charset many servers send of any text whatever it holds (HTTP/1.1's old default for text/*): it declares
#: nothing, and is neither taken nor held against the file.
GENERIC_CHARSETS = frozenset({"latin-1"})

_CHARSET = re.compile(r"""(?:^|;)\s*charset\s*=\s*["']?([^"';\s]+)""", re.I)


def charset_of(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type header (``text/csv; charset="gbk"`` -> ``gbk``), or None."""
    found = _CHARSET.search(content_type or "")
    return found.group(1) if found else None


@dataclass(frozen=True)
class Declaration:
    """An encoding a file's source declares: `encoding` as it spelt it, `by` who: ``metadata`` (the record: a Data
    Package resource's `encoding`) or ``http`` (the charset of the server's Content-Type)."""

    encoding: str
    by: str


@dataclass(frozen=True)
class Refusal:
    """A declaration the bytes refute, and why: ``unknown`` (no such encoding), ``undecodable`` (the bytes do not
    decode under it), ``bom`` (a byte-order mark says another), ``utf-8`` (the bytes are valid UTF-8 with multi-byte
    sequences), ``double-byte`` (a single-byte code page, which any bytes satisfy, of bytes that read as double-byte
    text), ``not-ascii`` (an encoding in which ASCII text is other characters, of ASCII-compatible bytes)."""

    declared: str
    by: str
    why: str
    encoding: str | None  # what the file is read as instead

    def to_dict(self) -> dict[str, str | None]:
        return {"declared": self.declared, "by": self.by, "why": self.why, "encoding": self.encoding}


@dataclass(frozen=True)
class Decision:
    """The encoding a file is read with, who decided it (``metadata``, ``http`` or ``detected``) and the
    declarations refuted on the way."""

    encoding: str | None
    confidence: float
    by: str = "detected"
    refused: tuple[Refusal, ...] = ()


def declarations(encoding: str | None = None, content_type: str | None = None) -> list[Declaration]:
    """What a file's source declares of its encoding, first what goes first: the metadata's `encoding`, then the
    charset of the HTTP `content_type` (unless the generic ISO-8859-1)."""
    out = []
    if isinstance(encoding, str) and encoding.strip():
        out.append(Declaration(encoding.strip(), "metadata"))
    charset = charset_of(content_type)
    if charset and canonical(charset) not in GENERIC_CHARSETS:
        out.append(Declaration(charset, "http"))
    return out


def decide_encoding(data: bytes, declared: Sequence[Declaration] = (), *,
                    detected: tuple[str | None, float] | None = None) -> Decision:
    """The encoding to read `data` (a file, or its first bytes) with: the first of `declared` the bytes bear out,
    else `detect_encoding`'s (`detected`, when the caller has it already).

    A declaration is borne out when the bytes decode strictly under it (a multi-byte character cut at the end of
    `data` allowed: it may be a prefix) and prove no other encoding. Bytes prove their encoding by a byte-order
    mark, and by being valid UTF-8 with multi-byte sequences: legacy text is almost never that by chance, while
    GBK and GB18030 decode much UTF-8 Chinese (cells of two characters are six bytes, three valid GBK pairs:
    名称 -> 鍚嶇О), so a legacy declaration of UTF-8 would garble it. A single-byte code page (ISO-8859-1, cp1252)
    decodes nearly any bytes, so its decoding is no evidence against bytes that read as double-byte text (GBK,
    Big5, EUC-KR...). Pure ASCII is ASCII under any ASCII-compatible declaration. What a declaration decides is
    thus the choice among legacy encodings the detector can only guess (short EUC-KR against GBK, Big5, cp1252
    against Latin-1); it never changes the reading of bytes whose encoding they themselves show."""
    found, confidence = detected if detected is not None else detect_encoding(data)
    if found is None or not declared:
        return Decision(found, confidence)
    refused = []
    for item in declared:
        why, chosen = _weigh(data, item.encoding, found)
        if why is None:
            if chosen == found:  # the bytes' own variant (a BOM's, ASCII): what the detector said
                return Decision(found, confidence, item.by if found != "ascii" else "detected", tuple(refused))
            return Decision(chosen, 0.99, item.by, tuple(refused))
        refused.append(Refusal(item.encoding, item.by, why, found))
    return Decision(found, confidence, "detected", tuple(refused))


def honoured(encoding: str | None, declared: Sequence[Declaration]) -> Declaration | None:
    """The declaration whose encoding `encoding` (one `decide_encoding` chose) is, or None: the one to record as
    set by its source rather than decided by the detector."""
    if not encoding:
        return None
    for item in declared:
        if _same(item.encoding, encoding):
            return item
    return None


def _same(a: str, b: str) -> bool:
    try:
        x, y = codecs.lookup(a).name, codecs.lookup(b).name
    except LookupError:
        return False
    return x == y or (_FAMILY.get(x) is not None and _FAMILY.get(x) == _FAMILY.get(y))


_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape",
                           "palmos", "mbcs", "oem"})

_FAMILY = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16", "utf-16-le": "utf-16", "utf-16-be": "utf-16",
           "utf-32": "utf-32", "utf-32-le": "utf-32", "utf-32-be": "utf-32"}


def _weigh(data: bytes, declared: str, found: str) -> tuple[str | None, str | None]:
    """(why the bytes refute `declared`, or None; the encoding to read them with when they do not), `found` being
    what the detector decided."""
    try:
        info = codecs.lookup(declared)
    except (LookupError, ValueError, TypeError):
        return "unknown", None
    codec = info.name
    if not getattr(info, "_is_text_encoding", True) or codec in _NOT_CHARSETS:
        return "unknown", None  # rot13, base64, zlib, idna...: Python's codecs, no character encoding of a file
    family, found_family = _FAMILY.get(codec), _FAMILY.get(codecs.lookup(found).name)
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return (None, found) if family is not None and family == found_family else ("bom", None)
    if found == "ascii":
        return (None, found) if _ascii_compatible(codec) else ("not-ascii", None)
    if found_family == "utf-8":
        return (None, found) if family == "utf-8" else ("utf-8", None)
    if family == "utf-8" and found_family is None and decodes(data, codec, True):
        return None, "utf-8"  # valid UTF-8 past the detector's sample
    if found_family is not None or family is not None:  # UTF-16/32 without a BOM, by its NULs
        return (None, found) if family == found_family and decodes(data, codec, True) else ("undecodable", None)
    if not _ascii_compatible(codec) or not decodes(data, codec, True):
        return "undecodable", None
    if _single_byte(codec) and not _single_byte(codecs.lookup(found).name) and decodes(data, found, True):
        return "double-byte", None
    return None, canonical(codec)


@cache
def _ascii_compatible(codec: str) -> bool:
    ascii_text = bytes(range(0x80))
    try:
        return codecs.decode(ascii_text, codec) == ascii_text.decode("ascii")
    except (UnicodeError, LookupError):  # UTF-7's "+" opens a run of base64
        return False


@cache
def _single_byte(codec: str) -> bool:
    """Whether every byte of `codec` is a character of its own (no lead bytes waiting for a trail)."""
    for byte in range(0x80, 0x100):
        if codecs.getincrementaldecoder(codec)("replace").decode(bytes([byte]), final=False) == "":
            return False
    return True
