#!/usr/bin/env bash
# Speed against llama.cpp: for each model, llama-bench then `llmrun bench` with the same settings
# (-p 512 -n 128 -t 2 -r 3 by default), each under /usr/bin/time -v for its peak RSS; then one markdown
# table (Benchmarks/collate.py) with both speeds, their ratio, peak RSS, load average and date.
#
#   Benchmarks/compare.sh [MODEL ...]      catalog names or .gguf paths
#                                          (default: qwen2.5-1.5b qwen2.5-0.5b smollm2-135m gemma3-270m)
#   env: P=512 N=128 THREADS=2 REPS=3      the benchmark settings
#        OUT=.build/compare                where the raw JSON and time logs go
#        LLMRUN_REF=/root/.cache/llmrun-ref   where scripts/build-llama-cpp.sh keeps llama.cpp
#        LLAMA_PRELOAD=/tmp/no_amx_preload.so the AMX shim llama.cpp runs under (built when missing)
set -euo pipefail

cd "$(dirname "$0")/.."
P="${P:-512}"
N="${N:-128}"
THREADS="${THREADS:-2}"
REPS="${REPS:-3}"
OUT="${OUT:-.build/compare}"
REF="${LLMRUN_REF:-/root/.cache/llmrun-ref}"
LLAMA_BENCH="$REF/llama.cpp/build/bin/llama-bench"
LLMRUN=.build/release/llmrun
TIME=/usr/bin/time

if [ "$#" -gt 0 ]; then models=("$@"); else models=(qwen2.5-1.5b qwen2.5-0.5b smollm2-135m gemma3-270m); fi

[ -x "$TIME" ] || { echo "compare.sh: $TIME is missing (apt-get install -y time)" >&2; exit 1; }

echo "== building llmrun (release)" >&2
swift build -c release -Xcc -O3 --product llmrun >&2
echo "== llama.cpp tools" >&2
scripts/build-llama-cpp.sh >&2
[ -x "$LLAMA_BENCH" ] || { echo "compare.sh: $LLAMA_BENCH was not built" >&2; exit 1; }
# On a CPU with AMX, llama.cpp's AMX kernels die of SIGILL in some containers; the shim makes it run its
# AVX-512 kernels (scripts/no_amx_preload.c), as Benchmarks/speculative_compare.py does.
PRELOAD="${LLAMA_PRELOAD:-/tmp/no_amx_preload.so}"
[ -f "$PRELOAD" ] || gcc -O2 -shared -fPIC -o "$PRELOAD" scripts/no_amx_preload.c -ldl

mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.time "$OUT"/runs.tsv
date -u +%FT%TZ > "$OUT/date"
cat /proc/loadavg > "$OUT/loadavg-start"
args=(-p "$P" -n "$N" -t "$THREADS" -r "$REPS")

for model in "${models[@]}"; do
  if [ -f "$model" ]; then path="$model"; name="$(basename "$model" .gguf)"
  else path="$("$LLMRUN" pull "$model" 2>/dev/null)"; name="$model"; fi
  # Alternate the two engines so that a change in the machine's load hits both alike.
  for engine in llama.cpp llmrun; do
    echo "== $name: $engine (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    load="$(cut -d' ' -f1 /proc/loadavg)"
    json="$OUT/$name.$engine.json"
    timelog="$OUT/$name.$engine.time"
    if [ "$engine" = llama.cpp ]; then
      LD_PRELOAD="$PRELOAD" "$TIME" -v -o "$timelog" "$LLAMA_BENCH" -m "$path" "${args[@]}" -o json > "$json" 2> "$OUT/$name.$engine.log"
    else
      "$TIME" -v -o "$timelog" "$LLMRUN" bench -m "$path" "${args[@]}" --json > "$json" 2> "$OUT/$name.$engine.log"
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$engine" "$json" "$timelog" "$load" >> "$OUT/runs.tsv"
  done
done

cat /proc/loadavg > "$OUT/loadavg-end"
python3 Benchmarks/collate.py "$OUT"
