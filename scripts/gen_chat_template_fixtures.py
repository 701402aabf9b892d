#!/usr/bin/env python3
"""Renders the catalog models' GGUF chat templates with jinja2 for a few conversations, so that the
Swift renderers can be compared with the exact reference strings.

Run with a Python that has `gguf` and `jinja2` (e.g. the reference venv):
    /root/.cache/llmrun-ref/venv/bin/python scripts/gen_chat_template_fixtures.py
Writes Tests/TransformerTests/Fixtures/chat/templates.json.

    python scripts/gen_chat_template_fixtures.py --families   (needs only jinja2)
renders the templates of families no catalog model covers (Qwen3, Llama 3.1/3.2, Gemma 2, Phi-3.5), as their
publishers ship them, from the copies llama.cpp keeps in models/templates of the source scripts/build-llama-cpp.sh
unpacks, into Tests/TransformerTests/Fixtures/chat/families.json, each with its template's text (the Swift test
detects the template from it). A conversation the template refuses (Gemma 2 raises on a system message) is left out.
Llama 3.2's template writes today's date (`strftime_now`): the fixtures are rendered without it, with
date_string "26 Jul 2024", the date Llama 3.1's template fixes.
"""
import hashlib
import json
import os
import sys

import jinja2

HOME = os.environ.get("LLMRUN_HOME", os.path.expanduser("~/.cache/llmrun"))
MODELS = ["qwen2.5-1.5b", "qwen2.5-0.5b", "smollm2-135m"]
CONVERSATIONS = {
    "single_user": [{"role": "user", "content": "请用三句话总结这篇文章。"}],
    "with_system": [
        {"role": "system", "content": "You are a careful summarizer."},
        {"role": "user", "content": "Summarize: the library opens late on Fridays."},
    ],
    "multi_turn": [
        {"role": "system", "content": "只用文章里的信息回答。"},
        {"role": "user", "content": "图书馆几点关门？"},
        {"role": "assistant", "content": "晚上十点。"},
        {"role": "user", "content": "  试点多久？ \n"},
    ],
    "no_system_multi_turn": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke about 🐍."},
    ],
}


REF = os.environ.get("LLMRUN_REF", os.path.expanduser("~/.cache/llmrun-ref"))
FAMILY_TEMPLATES = {
    "qwen3": "Qwen-Qwen3-0.6B.jinja",
    "llama3.1": "meta-llama-Llama-3.1-8B-Instruct.jinja",
    "llama3.2": "meta-llama-Llama-3.2-3B-Instruct.jinja",
    "gemma2": "google-gemma-2-2b-it.jinja",
    "phi3.5": "microsoft-Phi-3.5-mini-instruct.jinja",
}
FAMILY_DATE = "26 Jul 2024"
FAMILY_CONVERSATIONS = dict(CONVERSATIONS, reasoning_multi_turn=[
    {"role": "user", "content": "How many legs has a bird?"},
    {"role": "assistant", "content": "<think>\nBirds stand on two.\n</think>\n\nTwo."},
    {"role": "user", "content": "And a cat?"},
], reasoning_closed=[
    {"role": "user", "content": "Is water wet?"},
    {"role": "assistant", "content": "<think>\n\nIt depends on the definition.\n\n</think>\n\nYes."},
], empty_system=[
    {"role": "system", "content": ""},
    {"role": "user", "content": "Hello there"},
])


def families():
    env = jinja2.Environment(trim_blocks=False, lstrip_blocks=False)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env.globals["raise_exception"] = raise_exception
    out = {"generator": "scripts/gen_chat_template_fixtures.py --families", "jinja2": jinja2.__version__,
           "date_string": FAMILY_DATE, "families": {}}
    for family, filename in FAMILY_TEMPLATES.items():
        with open(os.path.join(REF, "llama.cpp", "models", "templates", filename), encoding="utf-8") as f:
            source = f.read()
        template = env.from_string(source)
        cases = {}
        for case, messages in FAMILY_CONVERSATIONS.items():
            for generation in (True, False):
                try:
                    text = template.render(messages=messages, add_generation_prompt=generation, bos_token="", eos_token="",
                                           date_string=FAMILY_DATE)
                except jinja2.exceptions.TemplateError as error:
                    print(f"{family} {case}: refused ({error})", file=sys.stderr)
                    continue
                cases[f"{case}/{'generation' if generation else 'closed'}"] = {"messages": messages, "add_generation_prompt": generation, "text": text}
        out["families"][family] = {"source": filename, "template": source, "cases": cases}
    target = os.path.join(os.path.dirname(__file__), "..", "Tests", "TransformerTests", "Fixtures", "chat", "families.json")
    with open(target, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print("wrote", os.path.normpath(target), file=sys.stderr)


def template_of(path):
    from gguf import GGUFReader
    reader = GGUFReader(path)
    field = reader.fields["tokenizer.chat_template"]
    return bytes(field.parts[-1]).decode("utf-8")


def main():
    if "--families" in sys.argv[1:]:
        return families()
    from gguf import GGUFReader  # noqa: F401  (only the catalog models' templates need it)
    env = jinja2.Environment(trim_blocks=False, lstrip_blocks=False)
    out = {"generator": "scripts/gen_chat_template_fixtures.py", "jinja2": jinja2.__version__, "models": {}}
    for name in MODELS:
        path = os.path.join(HOME, "models", name + ".gguf")
        source = template_of(path)
        template = env.from_string(source)
        cases = {}
        for case, messages in CONVERSATIONS.items():
            for generation in (True, False):
                text = template.render(messages=messages, add_generation_prompt=generation, bos_token="", eos_token="")
                cases[f"{case}/{'generation' if generation else 'closed'}"] = {"messages": messages, "add_generation_prompt": generation, "text": text}
        out["models"][name] = {"template_sha256": hashlib.sha256(source.encode()).hexdigest(), "cases": cases}
    target = os.path.join(os.path.dirname(__file__), "..", "Tests", "TransformerTests", "Fixtures", "chat", "templates.json")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print("wrote", os.path.normpath(target), file=sys.stderr)


if __name__ == "__main__":
    main()
