"""What the benchmark scripts that run llama.cpp beside llmrun share: where its tools are, the environment they run
in, and the GGUF a catalog name stands for. Standard library only."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLMRUN = os.environ.get("LLMRUN", os.path.join(ROOT, ".build/release/llmrun"))
BIN = os.path.join(os.environ.get("LLMRUN_REF", "/root/.cache/llmrun-ref"), "llama.cpp/build/bin")


def llama_env():
    env = dict(os.environ)
    preload = os.environ.get("LLAMA_PRELOAD", "/tmp/no_amx_preload.so")
    if os.path.exists(preload):
        env["LD_PRELOAD"] = preload  # llama.cpp's AMX path traps in some containers
    return env


def model_path(name):
    """A .gguf path as it is; a catalog name as `llmrun pull` resolves it."""
    if os.path.isfile(name):
        return name
    return subprocess.run([LLMRUN, "pull", name], check=True, capture_output=True, text=True).stdout.strip()
