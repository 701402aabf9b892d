#!/usr/bin/env python3
"""Runs the ask question set (Tests/ReadingTests/Fixtures/ask/questions.json) through an `llmrun ask --json`
binary, so that two builds (today's and an older commit's) can be compared on the same questions.

    Benchmarks/ask_questions.py BINARY [-m MODEL] [--articles DIR] [--out results.jsonl]

Scoring is that of AskQuestionSetTests (the in-tree gate, `make test-all`): an answer is right when it is
given and contains one accepted answer; a refusal is right for an unanswerable question; evidence is cited
when a cited sentence contains one evidence piece. Texts are compared after NFKC, lowercase, traditional
folded to simplified (ICU's `uconv`, as Foundation's transform in the test) and spaces removed.
"""
import argparse
import re
import json
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# What must not be left in an answer: a citation lead-in without its numbers, doubled full stops, [S#] pieces,
# the prompt echoed.
RESIDUE = re.compile(r"(依据|依據|根据|根據)[^，。,]{0,8}[。:：]\s*$|(依据|依據)的?(句子)?(编号|編號)|。。|\[S?\d*\]?|^(问题|問題|question|answer|答案)\s*[:：]", re.I | re.M)


def fold_all(texts):
    """One uconv call for many texts (one per line)."""
    joined = "\n".join(t.replace("\n", " ") for t in texts)
    out = subprocess.run(["uconv", "-x", "Hant-Hans; NFKC; Lower"], input=joined, capture_output=True, text=True, check=True).stdout
    return ["".join(line.split()) for line in out.split("\n")[: len(texts)]]


def contains_any(text, pieces):
    folded = fold_all([text] + pieces)
    return any(piece and piece in folded[0] for piece in folded[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("-m", "--model", default="qwen2.5-1.5b")
    parser.add_argument("--articles", default=str(ROOT.parent / "shared/articles"))
    parser.add_argument("--out", help="write each question's JSON output here (JSON lines)")
    parser.add_argument("--kind", action="append", choices=["verbatim", "paraphrase", "unanswerable"],
                        help="only the questions of this kind (repeatable; default: all)")
    parser.add_argument("--english", action="store_true", help="only the questions asked in English")
    args = parser.parse_args()

    questions = json.loads((ROOT / "Tests/ReadingTests/Fixtures/ask/questions.json").read_text())["questions"]
    questions = [q for q in questions if (not args.kind or q["kind"] in args.kind) and (not args.english or q["question"].isascii())]
    files = sorted(pathlib.Path(args.articles).glob("*.txt"))
    tally = {}
    seconds = []
    residue = []
    out = open(args.out, "w") if args.out else None
    for q in questions:
        paths = [str(next(f for f in files if f.name.startswith(prefix))) for prefix in q["articles"]]
        run = subprocess.run([args.binary, "ask", *paths, q["question"], "-m", args.model, "--json"], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"#{q['id']}: exit {run.returncode}: {run.stderr.strip()}", file=sys.stderr)
            continue
        result = json.loads(run.stdout)
        if out:
            out.write(json.dumps({"id": q["id"], **result}, ensure_ascii=False) + "\n")
        seconds.append(result.get("seconds", 0))
        if RESIDUE.search(result["answer"]):
            residue.append(q["id"])
        cited = " ".join(c["sentence"] for c in result.get("citations", []))
        if q["kind"] == "unanswerable":
            right, evidence = not result["answered"], False
        else:
            right = result["answered"] and contains_any(result["answer"], q["answers"])
            evidence = bool(cited) and contains_any(cited, q["evidence"])
        row = tally.setdefault(q["kind"], [0, 0, 0])
        row[0] += right
        row[1] += evidence
        row[2] += 1
        print(f"{'RIGHT' if right else 'WRONG'} {'E' if evidence else '-'} {q['kind']} {result.get('seconds', 0):.1f}s #{q['id']} {q['question']} → {result['answer']}", flush=True)
    for kind, (right, evidence, count) in tally.items():
        if kind == "unanswerable":
            print(f"{kind}: refused {right}/{count}")
        else:
            print(f"{kind}: right {right}/{count}, evidence cited {evidence}/{count}")
    print(f"answers with residue: {len(residue)} {residue}")
    if seconds:
        print(f"median {statistics.median(seconds):.1f} s per question (model time as the binary reports it)")


if __name__ == "__main__":
    main()
