#!/usr/bin/env bash
# Demo 2: a short stock forecast on daily AAPL prices, with the naive baselines beside the model.
set -euo pipefail
out=$1
echo "== 2. forecasting: daily AAPL Close, LSTM on log returns (combined with AutoTheta as far as validation supports) vs persistence and the statistical references (about a minute)"
if ! .venv/bin/python -c "from rnnkit import datasets; datasets.fetch('aapl')" >/dev/null 2>&1; then
    echo "NOTE: the aapl dataset is not available (no mirror, cache or network); skipping the forecast demo."
    exit 0
fi
.venv/bin/rnnkit forecast train --csv aapl --out "$out/forecast" --max-epochs 8 --threads 1
echo
