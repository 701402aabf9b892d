#!/usr/bin/env python3
"""Renders the catalog models' GGUF chat templates with jinja2 for a few conversations, so that the
Swift renderers can be compared with the exact reference strings.

Run with a Python that has `gguf` and `jinja2` (e.g. the reference venv):
    /root/.cache/llmrun-ref/venv/bin/python scripts/gen_chat_template_fixtures.py
Writes Tests/TransformerTests/Fixtures/chat/templates.json.
"""
import hashlib
import json
import os
import sys

import jinja2
from gguf import GGUFReader

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


def template_of(path):
    reader = GGUFReader(path)
    field = reader.fields["tokenizer.chat_template"]
    return bytes(field.parts[-1]).decode("utf-8")


def main():
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
