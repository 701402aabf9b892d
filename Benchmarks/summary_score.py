#!/usr/bin/env python3
"""Key-point coverage and copy rate of a Chinese article summary.

    python3 Benchmarks/summary_score.py ARTICLE.txt SUMMARY.txt [--json] [--keypoints FILE] [--key 000_]
    python3 Benchmarks/summary_score.py check ARTICLES_DIR [--json]   # sanity checks of the checklists
    python3 Benchmarks/summary_score.py selftest

Coverage: the checklist for the article (Tests/ReadingTests/Fixtures/summaries/keypoints.json, keyed
by the article file-name prefix, e.g. "000_") lists key points, each with 1-3 term groups of
alternatives separated by "|". A point is covered when every group has at least one alternative in
the summary text. Terms and summary are compared after folding traditional to simplified Chinese,
lowercasing and removing whitespace (so "1 亿美元" matches "1亿美元", "Vision Pro" matches "VisionPro").

Copying: a summary point "copies" when one contiguous run it shares with a single article sentence
(longest common substring) covers at least 70 % of the point's characters. Both sides are normalized
first: citation markers ([S12], [S3, S4]), list bullets, whitespace and punctuation/symbols removed,
traditional folded to simplified, lowercased; pinyin annotations in the source (業(yè)) are dropped.

Sentences: split after 。！？ (with any closing quotes), after .!? followed by whitespace, and at line breaks.

Standard library only. The traditional->simplified table below covers every character of the five
articles in /work/shared/articles (and of the checklists) that ICU's Hant-Hans transform changes, plus
the traditional form of every simplified character in them; it was generated once with ICU 72
(libicui18n via ctypes) on 2026-12-05. Characters outside it are left as they are.
"""
import argparse
import difflib
import json
import os
import re
import sys
import unicodedata

_TRADITIONAL = (
    "並乾亂亞佔來侖倉個們倫偉側備傭傳傾僅價億優儲兌內兩冊凱別刪則剛創劃劇劉劍勁動務勛"
    "勝勞勢匯匱區協卻厲參吳員問啓啟喪單嗎嘗嘩嘯嚴國圍園圖團執堅報場塊墮壇壓壘壞夠夾奧"
    "奪奮孫學實審寫寬寶將專尋對導層屬島帥師帶幣幫幾庫廠廣張強彌彥後徑從復徵恆惡愛態慣"
    "慮憂憑應懼戀戰戲戶掙掛採揚換揮損搖搶撐擁擇擊擔據擠擬擴擺攔攤攪敗敵數斷於昇時暢曠"
    "書會東桿條棄棧棲楊業極榮構樂樓標樣機橫檔檢檻櫟欄權歐歡歲歷歸殘殺氣決沒況洩淨淪淺"
    "減測湧湯準溝滲滿漲漸潛潤濟濾瀏瀾災為無熱熾營爛爭爾牆牽狀獨獲獸獻現環產畢畫異當疊"
    "瘋療發盡監盤眾確碼礎礙礦禕種稱積穩窮窺競節範簡粵糾約紅納紙級紛細紹終組結絕絡給統"
    "綁經綜綠維網緊緒線編緩練縱總績織繞繪繼續纏纜罰羅義習聞聯聲職聽脅脫腦腳膽臉臨臺與"
    "興舉舊艱艷莊華萊萬著蓋薩藝藥蘇蘊蘋蘭處虛號虧蠶術衛衝補裝襖襲見規視親覺覽觀觸訂計"
    "訊討訓記訪設許訴評詞詢試詩話該認誕語誠說誰調談請論諤諸諾謂講謹證識譜譯議護讀變讓"
    "豐貓貝負財貢責貴買費賃資賈賣賦質賴賺購賽贏趕趨跡踐蹤躋躍車軍軟軸較載輓輔輕輝輟輪"
    "輯輸轉轟辦這連進運過達違遜遠適遲遷選遺還邊邏郵醫釘針鈕銀銷錄錢錫錯鍵鎮鏈鏟鏡鐵鑒"
    "鑰長門閃閉開閑間閡閥閱闊關闡陣陸隊階際隨險隱隸雖雙雜離難雲電靈靜鞏韓韻響頁頂項須"
    "預頑頓頗領頭頻顆題額顏願顛類顧顯風飛養饋馬馮駕駛騰驅驗驚體鬥鮮鳥鴻鵬鶩麼黃點齊龐"
)
_SIMPLIFIED = (
    "并干乱亚占来仑仓个们伦伟侧备佣传倾仅价亿优储兑内两册凯别删则刚创划剧刘剑劲动务勋"
    "胜劳势汇匮区协却厉参吴员问启启丧单吗尝哗啸严国围园图团执坚报场块堕坛压垒坏够夹奥"
    "夺奋孙学实审写宽宝将专寻对导层属岛帅师带币帮几库厂广张强弥彦后径从复征恒恶爱态惯"
    "虑忧凭应惧恋战戏户挣挂采扬换挥损摇抢撑拥择击担据挤拟扩摆拦摊搅败敌数断于升时畅旷"
    "书会东杆条弃栈栖杨业极荣构乐楼标样机横档检槛栎栏权欧欢岁历归残杀气决没况泄净沦浅"
    "减测涌汤准沟渗满涨渐潜润济滤浏澜灾为无热炽营烂争尔墙牵状独获兽献现环产毕画异当叠"
    "疯疗发尽监盘众确码础碍矿祎种称积稳穷窥竞节范简粤纠约红纳纸级纷细绍终组结绝络给统"
    "绑经综绿维网紧绪线编缓练纵总绩织绕绘继续缠缆罚罗义习闻联声职听胁脱脑脚胆脸临台与"
    "兴举旧艰艳庄华莱万着盖萨艺药苏蕴苹兰处虚号亏蚕术卫冲补装袄袭见规视亲觉览观触订计"
    "讯讨训记访设许诉评词询试诗话该认诞语诚说谁调谈请论谔诸诺谓讲谨证识谱译议护读变让"
    "丰猫贝负财贡责贵买费赁资贾卖赋质赖赚购赛赢赶趋迹践踪跻跃车军软轴较载挽辅轻辉辍轮"
    "辑输转轰办这连进运过达违逊远适迟迁选遗还边逻邮医钉针钮银销录钱锡错键镇链铲镜铁鉴"
    "钥长门闪闭开闲间阂阀阅阔关阐阵陆队阶际随险隐隶虽双杂离难云电灵静巩韩韵响页顶项须"
    "预顽顿颇领头频颗题额颜愿颠类顾显风飞养馈马冯驾驶腾驱验惊体斗鲜鸟鸿鹏鹜么黄点齐庞"
)

_FOLD = str.maketrans("".join(_TRADITIONAL), "".join(_SIMPLIFIED))

DEFAULT_KEYPOINTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                                 "Tests", "ReadingTests", "Fixtures", "summaries", "keypoints.json")
COPY_THRESHOLD = 0.70

CITATION = re.compile(r"\[\s*S\d+(?:\s*[,，、;；-]\s*S?\d+)*\s*\]", re.IGNORECASE)
BULLET = re.compile(r"^\s*(?:[-•*·▪●◦‣]|\d{1,3}\s*[.)、．）](?!\d)|[(（]\d{1,3}[)）])\s*")
PINYIN = re.compile(r"\([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7}\)")
SENTENCE_END = re.compile(r"(?<=[。！？!?])[”’」』\"')）]*|(?<=[.!?])[\"')”’]*(?=\s)")


def fold(text):
    """Traditional -> simplified (table above) and lowercase."""
    return text.translate(_FOLD).lower()


def term_fold(text):
    """What terms and summaries are compared as: folded, lowercased, without whitespace."""
    return re.sub(r"\s+", "", fold(unicodedata.normalize("NFKC", text)))


def clean_source(text):
    """Drops pinyin annotations (業(yè) -> 業) and stray '?/p>' residue from an article."""
    text = PINYIN.sub("", text)
    return re.sub(r"\??</?(?:p|strong)>", "", text)


def split_sentences(text):
    out = []
    for line in text.splitlines():
        for part in SENTENCE_END.split(line):
            part = part.strip()
            if part:
                out.append(part)
    return out


def copy_normalize(text):
    """Normalization for copy detection: no citations, bullets, whitespace, punctuation or symbols."""
    text = CITATION.sub("", text)
    text = BULLET.sub("", text)
    text = fold(unicodedata.normalize("NFKC", text))
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c)[0] not in "PSZC")


def longest_common_run(a, b):
    if not a or not b:
        return 0
    m = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size


def copies(point_text, article_sentences, threshold=COPY_THRESHOLD):
    """True when one contiguous run shared with a single article sentence covers >= 70 % of the point."""
    p = copy_normalize(point_text)
    if not p:
        return False
    need = threshold * len(p)
    for s in article_sentences:
        s = copy_normalize(s)
        if len(s) >= need and longest_common_run(s, p) >= need:
            return True
    return False


def load_keypoints(path=DEFAULT_KEYPOINTS):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def key_for(article_path, keypoints):
    base = os.path.basename(article_path)
    matches = [k for k in keypoints if base.startswith(k)]
    if not matches:
        raise SystemExit(f"no checklist for {base}; keys: {', '.join(sorted(keypoints))}")
    return max(matches, key=len)


def point_covered(point, text_folded):
    return all(any(term_fold(alt) in text_folded for alt in group.split("|") if alt.strip())
               for group in point["terms"])


def coverage(summary_text, article_prefix, keypoints=None):
    """(covered_count, total, missed points) of the checklist for article_prefix ("000_" ...)."""
    keypoints = keypoints if keypoints is not None else load_keypoints()
    points = keypoints[article_prefix]["points"]
    text = term_fold(CITATION.sub("", summary_text))
    missed = [p for p in points if not point_covered(p, text)]
    return len(points) - len(missed), len(points), missed


def summary_points(summary_text):
    """Lines of the summary that are points: the bulleted/numbered ones if there are any, else all."""
    lines = [l for l in summary_text.splitlines() if l.strip()]
    bulleted = [l for l in lines if BULLET.match(l)]
    return [BULLET.sub("", l).strip() for l in (bulleted or lines)]


def score(article_text, summary_text, article_prefix, keypoints=None):
    covered, total, missed = coverage(summary_text, article_prefix, keypoints)
    sentences = split_sentences(clean_source(article_text))
    points = summary_points(summary_text)
    copied = [p for p in points if copies(p, sentences)]
    # A point of several sentences may hold one that is nearly a source sentence without the point copying.
    written = [w for p in points for w in split_sentences(CITATION.sub("", p))]
    copied_sentences = [w for w in written if copies(w, sentences)]
    return {
        "article": article_prefix,
        "covered": covered, "total": total,
        "coverage": round(covered / total, 4) if total else 0.0,
        "missed": [p["point"] for p in missed],
        "points": len(points), "copied": len(copied),
        "copy_rate": round(len(copied) / len(points), 4) if points else 0.0,
        "copied_points": copied,
        "sentences": len(written), "copied_sentences": len(copied_sentences),
        "sentence_copy_rate": round(len(copied_sentences) / len(written), 4) if written else 0.0,
    }


def print_score(r):
    print(f"coverage: {r['covered']}/{r['total']} ({100 * r['coverage']:.0f}%)")
    for m in r["missed"]:
        print(f"  missed: {m}")
    print(f"points: {r['points']}  copied: {r['copied']}  copy rate: {100 * r['copy_rate']:.0f}%"
          f"  (sentences: {r['copied_sentences']}/{r['sentences']} copy one)")
    for c in r["copied_points"]:
        print(f"  copies: {c}")


# --- sanity checks of the checklists -------------------------------------------------------------

def check(articles_dir, keypoints=None):
    """Per article: every term group occurs in the article; coverage of a 'summary' made of the
    article's first 6 sentences (should be low); coverage of the checklist's own point texts (must be
    100 %); copy rate of the point texts (should be 0)."""
    keypoints = keypoints if keypoints is not None else load_keypoints()
    rows = []
    for name in sorted(os.listdir(articles_dir)):
        if not name.endswith(".txt"):
            continue
        key = key_for(name, keypoints)
        with open(os.path.join(articles_dir, name), encoding="utf-8") as f:
            article = f.read()
        folded = term_fold(clean_source(article))
        absent = [(p["point"], g) for p in keypoints[key]["points"] for g in p["terms"]
                  if not any(term_fold(a) in folded for a in g.split("|") if a.strip())]
        sentences = split_sentences(clean_source(article))
        lead = "\n".join(sentences[:6])
        own = "\n".join("- " + p["point"] for p in keypoints[key]["points"])
        lead_cov = coverage(lead, key, keypoints)
        own_cov = coverage(own, key, keypoints)
        own_copied = sum(copies(p["point"], sentences) for p in keypoints[key]["points"])
        rows.append({"article": name, "key": key, "sentences": len(sentences),
                     "points": len(keypoints[key]["points"]),
                     "terms_absent_from_article": absent,
                     "lead6_covered": lead_cov[0], "own_points_covered": own_cov[0],
                     "own_points_copied": own_copied})
    return rows


# --- self test -------------------------------------------------------------------------------------

def selftest():
    kp = {"t_": {"script": "simplified", "points": [
        {"point": "微软2019年向OpenAI投资10亿美元", "terms": ["微软|Microsoft", "10亿|十亿"]},
        {"point": "谷歌云失去了OpenAI这个大客户", "terms": ["谷歌云|Google Cloud"]},
        {"point": "騰訊總裁劉熾平談混元", "terms": ["刘炽平"]}]}}
    article = ("2019年7月，微软宣布向OpenAI投资10亿美元。其中大部分钱以云平台Azure的积分体现！"
               "结果之一是 Google Cloud 迅速失去了它最大的客户之一。騰訊總裁劉熾平(píng)說,騰訊正在加速推進大模型混元。")
    sentences = split_sentences(clean_source(article))
    checks = []
    def ok(name, cond):
        checks.append((name, bool(cond)))

    ok("splits after 。 and ！", len(sentences) == 4)
    ok("pinyin annotation dropped", "píng" not in "".join(sentences))
    ok("verbatim sentence copies", copies("- 2019年7月，微软宣布向OpenAI投资10亿美元 [S1]", sentences))
    ok("bullet + citations ignored", copies("1. 其中大部分钱以云平台Azure的积分体现 [S2, S3]", sentences))
    ok("traditional copy of a sentence copies", copies("騰訊總裁劉熾平說騰訊正在加速推進大模型混元", sentences)
       and copies("腾讯总裁刘炽平说腾讯正在加速推进大模型混元", sentences))
    ok("paraphrase does not copy", not copies("微软在2019年给OpenAI投了十亿美元", sentences))
    ok("two sentences glued together do not copy",
       not copies("微软宣布向OpenAI投资10亿美元，其中大部分钱以云平台Azure的积分体现", sentences))
    ok("empty point does not copy", not copies(" [S1] ", sentences))
    c, n, missed = coverage("- 微软在2019年给OpenAI投了十亿美元\n- 谷歌云丢掉了大客户OpenAI", "t_", kp)
    ok("paraphrases with the terms are covered", (c, n) == (2, 3) and missed[0]["point"].startswith("騰訊"))
    c, n, _ = coverage("- 微软在2019年给OpenAI投了一大笔钱", "t_", kp)
    ok("a summary without a term misses the point", c == 0)
    c, n, _ = coverage("- 騰訊總裁劉熾平：混元正在加速 [S4]\n- Microsoft 投资 10 亿美元", "t_", kp)
    ok("traditional summary, spaces and Latin spellings match", c == 2)
    ok("citation markers do not count as text", coverage("[S1] 10亿", "t_", kp)[0] == 0)
    ok("summary points: bullets only", summary_points("摘要:\n- 甲\n• 乙\n2. 丙\n（3）丁") == ["甲", "乙", "丙", "丁"])
    ok("summary points: unbulleted lines", summary_points("甲\n\n乙") == ["甲", "乙"])
    ok("sentence split on '. ' but not in 2.5", split_sentences("GPT-2.5 is new. It works!\nNext")
       == ["GPT-2.5 is new.", "It works!", "Next"])
    for name, passed in checks:
        print(("ok   " if passed else "FAIL ") + name)
    failed = [n for n, p in checks if not p]
    print(f"{len(checks) - len(failed)}/{len(checks)} passed")
    return 0 if not failed else 1


def main(argv):
    if argv and argv[0] == "selftest":
        return selftest()
    if argv and argv[0] == "check":
        ap = argparse.ArgumentParser(prog="summary_score.py check")
        ap.add_argument("articles_dir")
        ap.add_argument("--keypoints", default=DEFAULT_KEYPOINTS)
        ap.add_argument("--json", action="store_true")
        a = ap.parse_args(argv[1:])
        rows = check(a.articles_dir, load_keypoints(a.keypoints))
        if a.json:
            print(json.dumps(rows, ensure_ascii=False, indent=1))
        else:
            for r in rows:
                print(f"{r['key']} {r['points']} points, {r['sentences']} sentences: "
                      f"first 6 sentences cover {r['lead6_covered']}/{r['points']}, "
                      f"own point texts cover {r['own_points_covered']}/{r['points']} "
                      f"(copied {r['own_points_copied']}), "
                      f"term groups absent from the article: {len(r['terms_absent_from_article'])}")
                for p, g in r["terms_absent_from_article"]:
                    print(f"   absent: {g}  ({p})")
        bad = any(r["terms_absent_from_article"] or r["own_points_covered"] != r["points"] for r in rows)
        return 1 if bad else 0
    ap = argparse.ArgumentParser(description="Key-point coverage and copy rate of a summary.")
    ap.add_argument("article")
    ap.add_argument("summary")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keypoints", default=DEFAULT_KEYPOINTS)
    ap.add_argument("--key", help="checklist key (default: from the article file name, e.g. 000_)")
    a = ap.parse_args(argv)
    keypoints = load_keypoints(a.keypoints)
    key = a.key or key_for(a.article, keypoints)
    with open(a.article, encoding="utf-8") as f:
        article = f.read()
    with open(a.summary, encoding="utf-8") as f:
        summary = f.read()
    r = score(article, summary, key, keypoints)
    if a.json:
        print(json.dumps(r, ensure_ascii=False, indent=1))
    else:
        print_score(r)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
