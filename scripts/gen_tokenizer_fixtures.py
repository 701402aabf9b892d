#!/usr/bin/env python3
"""Writes Tests/TransformerTests/Fixtures/tokenizer/<model>.json: llama.cpp's token ids for a fixed set
of test strings, so the Swift tokenizers can be checked id for id.

Run with the reference venv (llama-cpp-python):
    ~/.cache/llmrun-ref/venv/bin/python scripts/gen_tokenizer_fixtures.py

Models come from $LLMRUN_HOME/models (default ~/.cache/llmrun/models); articles from
/work/shared/articles (override with --articles). Never edit the output by hand: rerun this script.

File format (compact): {"model", "llama_cpp_python", "model_sha256", "tokenizer_model", "pre",
"pre_override", "add_bos", "cases": [[text, add_bos, special, [ids...]], ...]}. add_bos is llama.cpp's add_special
(BOS only where the model adds one).
"""
import argparse
import hashlib
import json
import os
import random
import sys
from pathlib import Path

import llama_cpp
from llama_cpp import Llama

MODELS = ["smollm2-135m", "gemma3-270m", "qwen2.5-0.5b", "qwen2.5-1.5b"]
# Pre-tokenizers no available model uses, checked on Qwen2.5's vocabulary via llama.cpp's kv_overrides:
# fixture "<model>+<pre>" (without the articles, to stay small).
PRE_OVERRIDES = [("qwen2.5-0.5b", "llama-bpe"), ("qwen2.5-0.5b", "gpt-2"), ("qwen2.5-0.5b", "default")]

# From llama.cpp tests/test-tokenizer-0.py and friends.
EDGE_CASES = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\n\n\n", "\t\n", "\r\n", "\r\n\r\n", " \n", "\n ", "a\n",
    "Hello world", " Hello world", "Hello World", " Hello World", " Hello World!", "Hello, world!",
    " Hello, world!", " this is 🦙.cpp", "w048 7tuijk dsdfhu", "нещо на Български",
    "កាន់តែពិសេសអាចខលចេញ",
    "🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)",
    "Hello", " Hello", "  Hello", "   Hello", "    Hello", "    Hello\n    Hello", " (", "\n =", "' era",
    "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～", "!!!!!!", "3", "33", "333", "3333", "33333",
    "333333", "3333333", "33333333", "333333333", "Cửa Việt", " discards",
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 "
    "3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= "
    "нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not "
    "sure I'll make it, 'D you like some tea? We'Ve a'lL",
    "I'm", "don't", "DON'T", "we'LL", "they're", "You've", "'s", "'", "''", "a'b", "it’s", "rock'n'roll",
]

CHINESE_SIMPLIFIED = [
    "我想在苹果公司工作。", "今天天气很好，我们去公园散步吧！", "人工智能正在改变世界。",
    "北京是中华人民共和国的首都。", "他说：“这是一个非常重要的问题。”", "２０２４年，经济增长了百分之五点二。",
    "机器学习（Machine Learning）是人工智能的一个分支。", "请问，去火车站怎么走？",
]
CHINESE_TRADITIONAL = [
    "我們應該學習繁體中文。", "臺灣的夜市非常熱鬧。", "這個問題很難回答，需要更多時間。", "香港國際機場位於大嶼山。",
    "電腦軟體與網際網路的發展日新月異。",
]
JAPANESE = [
    "こんにちは、世界！", "東京は日本の首都です。", "カタカナとひらがなと漢字を混ぜて書きます。",
    "ｶﾀｶﾅの半角もあります。", "吾輩は猫である。名前はまだ無い。",
]
KOREAN = [
    "안녕하세요, 세계!", "서울은 대한민국의 수도입니다.", "한국어 형태소 분석은 어렵습니다.",
    "ᄒᆞᆫ글 옛한글 자모 조합",
]
EMOJI = [
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇨🇳🇺🇸🇯🇵", "❤️", "🫶🏻", "🧑🏿‍💻 coding", "emoji😀in😀text", "1️⃣2️⃣3️⃣",
    "🦙🦙🦙", "👩‍❤️‍💋‍👨", "✅❌⚠️", "🤌", "🥲", "🫠",
]
LATIN = [
    "Café crème brûlée", "naïve façade coöperate", "Ångström Øresund Æsir", "Ça va? Où est-ce?",
    "Straße Größe Übermaß", "niño año señor", "İstanbul ılık ŞĞÇ", "Łódź Żółć", "Dvořák Čapek Šťastný",
    "Cafe\u0301 cre\u0300me", "e\u0301\u0302\u0303", "ǅemal ǈuba", "ﬁnancial ﬂow", "ＡＢＣａｂｃ１２３",
]
CODE = [
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "for (int i = 0; i < 10; ++i) {\n\tprintf(\"%d\\n\", i);\n}",
    "let x: [Int: String] = [:]  // comment\nguard let y = x[1] else { return }",
    "{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\"}}",
    "<div class=\"main\"><p>Hello &amp; welcome</p></div>",
    "SELECT * FROM users WHERE id = 42 AND name LIKE '%bob%';",
    "    indented\n\t\ttabs\n  \t mixed",
    "x+=1;y-=2;z*=3;w/=4;a%=5;b**=6;c//=7",
    "#include <stdio.h>\nint main(void){return 0;}",
    "$ ls -la | grep \"\\.swift$\" && echo ok",
    "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }",
    "a==b!=c<=d>=e=>f->g::h",
]
URLS = [
    "https://www.example.com/path/to/page?query=1&other=two#frag",
    "http://localhost:8080/api/v1/users/123",
    "ftp://files.example.org/pub/file-1.2.3.tar.gz",
    "mailto:someone@example.com",
    "https://zh.wikipedia.org/wiki/人工智能",
    "www.github.com/ggml-org/llama.cpp/blob/master/src/llama-vocab.cpp",
]
SPECIAL_TEXT = [
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n",
    "<start_of_turn>user\nhello<end_of_turn>\n<start_of_turn>model\n",
    "<|endoftext|>", "text<|endoftext|>more", "<s>", "</s>", "<bos>", "<eos>", "<pad>", "<unk>",
    "<tool_call>{\"name\": \"f\"}</tool_call>", "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>",
    "<|im_start|><|im_start|>", "<|im_start", "<|im_end|> trailing", " <|im_end|>", "<start_of_image>",
    "<unused0><unused1>", "<mask>", "<|begin_of_text|>", "<h1>title</h1>", "<table><tr><td>x</td></tr></table>",
]


def numbers():
    out = []
    digits = "1234567890"
    for n in range(1, 21):
        out.append((digits * 3)[:n])
        out.append(" " + (digits * 3)[:n])
    out += ["3.14159", "-42", "1,000,000", "1e-9", "0x1F", "2024-01-01", "12:30:45", "١٢٣٤", "٣.١٤",
            "१२३", "Ⅻ", "½ ¾ ⅞", "²³", "①②③", "１２３４５", "v1.2.3", "a1b2c3", "100%", "$19.99", "￥100"]
    return out


def whitespace():
    out = []
    for ch in [" ", "\t", "\n", "\r\n"]:
        for n in [1, 2, 3, 4, 5, 8, 16]:
            out.append(ch * n)
            out.append("a" + ch * n + "b")
            out.append(ch * n + "word")
            out.append("word" + ch * n)
    out += [" \t \n \t", "\n \n", "\u00a0", "a\u00a0b", "\u3000全角空格\u3000", "\u2003em\u2009thin", "x\u200by",
            "\u2028\u2029", "\x0b\x0c", "\x85next"]
    return out


def random_unicode(rng, count):
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F),
              (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F), (0x2190, 0x23FF), (0x3000, 0x30FF),
              (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF), (0x1F300, 0x1FAFF), (0x10000, 0x1FFFF),
              (0x20000, 0x2A6DF), (0xE000, 0xF8FF), (0x0, 0x1F), (0x300, 0x36F), (0x1CC00, 0x1CEBF),
              (0x10D40, 0x10D8F), (0x0, 0x10FFFF)]
    out = []
    for _ in range(count):
        length = rng.randint(1, 24)
        chars = []
        for _ in range(length):
            lo, hi = rng.choice(ranges)
            cp = rng.randint(lo, hi)
            if 0xD800 <= cp <= 0xDFFF:
                cp = 0xFFFD
            chars.append(chr(cp))
            if rng.random() < 0.2:
                chars.append(rng.choice([" ", "  ", "\n", "'s", "1", "a"]))
        out.append("".join(chars))
    # Random bytes decoded with replacement, like Swift's String(decoding:as:).
    for _ in range(count // 4):
        raw = bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 32)))
        out.append(raw.decode("utf-8", errors="replace"))
    return out


def article_paragraphs(directory):
    out = []
    for path in sorted(Path(directory).glob("*.txt")):
        for paragraph in path.read_text(encoding="utf-8").split("\n"):
            if paragraph.strip():
                out.append(paragraph)
    return out


def whole_articles(directory, max_bytes=15000):
    """The smaller articles in one piece, so paragraph breaks are covered too."""
    return [path.read_text(encoding="utf-8") for path in sorted(Path(directory).glob("*.txt"))
            if path.stat().st_size <= max_bytes]


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    home = Path(os.environ.get("LLMRUN_HOME", Path.home() / ".cache" / "llmrun"))
    parser.add_argument("--models-dir", default=home / "models", type=Path)
    parser.add_argument("--articles", default="/work/shared/articles", type=Path)
    parser.add_argument("--out", default=Path(__file__).resolve().parent.parent / "Tests/TransformerTests/Fixtures/tokenizer", type=Path)
    parser.add_argument("models", nargs="*", default=MODELS)
    args = parser.parse_args()

    rng = random.Random(20240604)
    plain = (EDGE_CASES + CHINESE_SIMPLIFIED + CHINESE_TRADITIONAL + JAPANESE + KOREAN + EMOJI + LATIN + CODE
             + URLS + numbers() + whitespace() + random_unicode(rng, 300) + article_paragraphs(args.articles)
             + whole_articles(args.articles))
    mixed = " ".join(CHINESE_SIMPLIFIED[:3] + EMOJI[:6] + JAPANESE[:2] + KOREAN[:2] + LATIN[:3] + ["3333 12345"])
    plain.append(mixed)

    articles = set(article_paragraphs(args.articles) + whole_articles(args.articles))
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [(name, None) for name in args.models] + [job for job in PRE_OVERRIDES if job[0] in args.models]
    for name, pre_override in jobs:
        path = args.models_dir / f"{name}.gguf"
        if not path.exists():
            print(f"skip {name}: {path} missing", file=sys.stderr)
            continue
        overrides = {"tokenizer.ggml.pre": pre_override} if pre_override else None
        llm = Llama(model_path=str(path), vocab_only=True, verbose=False, kv_overrides=overrides)
        metadata = llm.metadata
        cases = []
        seen = set()

        def add(text, add_bos, special):
            key = (text, add_bos, special)
            if key in seen:
                return
            seen.add(key)
            ids = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)
            cases.append([text, add_bos, special, ids])

        for text in plain:
            if pre_override is None or text not in articles:
                add(text, True, False)
        for text in EDGE_CASES[:12] + CHINESE_SIMPLIFIED[:2] + EMOJI[:3]:
            add(text, False, False)
        for text in SPECIAL_TEXT:
            add(text, True, False)
            add(text, True, True)
            add(text, False, True)

        fixture = {
            "model": name,
            "llama_cpp_python": llama_cpp.__version__,
            "model_sha256": sha256(path),
            "tokenizer_model": metadata.get("tokenizer.ggml.model"),
            "pre": pre_override or metadata.get("tokenizer.ggml.pre"),
            "pre_override": pre_override,
            "add_bos": metadata.get("tokenizer.ggml.add_bos_token"),
            "cases": cases,
        }
        out = args.out / (f"{name}+{pre_override}.json" if pre_override else f"{name}.json")
        with open(out, "w", encoding="utf-8") as file:
            json.dump(fixture, file, ensure_ascii=False, separators=(",", ":"))
            file.write("\n")
        print(f"{out}: {len(cases)} cases, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
