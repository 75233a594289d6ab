#!/usr/bin/env bash
# `make demo`: the main job on the default data, on CPU, in a few minutes.
# Trains a character model on tinyshakespeare (about two minutes), prints a sample, then runs the
# other demos that exist, and says where every output is.
set -euo pipefail
out=${1:-runs/demo}
rnnkit=".venv/bin/rnnkit"
py=".venv/bin/python"

rm -rf "$out"   # the demo's own output folder, recreated on every run
mkdir -p "$out"

corpus=tinyshakespeare
if ! "$py" -c "from rnnkit import datasets; datasets.fetch('tinyshakespeare')" 2>"$out/fetch-error.txt"; then
    corpus=$("$py" -c "import pydoc_data.topics as t; print(t.__file__)")
    echo "NOTE: tinyshakespeare is not available ($(tail -n1 "$out/fetch-error.txt"))."
    echo "NOTE: falling back to Python's bundled help-topics text: $corpus"
fi
rm -f "$out/fetch-error.txt"

echo "== 1. character-level text generation: training on $corpus for about 2 minutes (CPU)"
"$rnnkit" text train --corpus "$corpus" --out "$out/text" --max-minutes 2
echo
echo "== sample (temperature 0.8, seed 0):"
"$rnnkit" text generate --run "$out/text" --prompt "ROMEO:" --length 400 --temperature 0.8 --seed 0 2>/dev/null \
    || "$rnnkit" text generate --run "$out/text" --length 400 --temperature 0.8 --seed 0
echo

for extra in scripts/demo.d/*.sh; do
    [ -e "$extra" ] && bash "$extra" "$out"
done

echo "== outputs (under $(cd "$out" && pwd))"
for d in "$out"/*/; do
    shown=$(cd "$d" && ls -1 summary.json report.md report.json *.png *.html 2>/dev/null | tr '\n' ' ' || true)
    echo "  ${d%/}: $shown"
done
echo "Next: source .venv/bin/activate; rnnkit text generate --run $out/text --prompt 'JULIET:' --length 300; rnnkit --help"
