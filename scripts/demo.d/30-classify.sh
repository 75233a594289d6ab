#!/usr/bin/env bash
# Demo 3: sequence classification with an attention model, and where it looked.
set -euo pipefail
out=$1
data=${RNNKIT_DATA_DIR:-}
if [ -z "$data" ] || [ ! -f "$data/ucr/GunPoint_TRAIN.tsv" ]; then
    echo "NOTE: \$RNNKIT_DATA_DIR/ucr is not available; skipping the classification demo."
    exit 0
fi
echo "== 3. classification: UCR GunPoint with the attention model (the archive's own train/test split)"
.venv/bin/rnnkit classify train --data "$data/ucr/GunPoint_TRAIN.tsv" --test "$data/ucr/GunPoint_TEST.tsv" \
    --model attention --out "$out/classify_gunpoint" --threads 1
head -1 "$data/ucr/GunPoint_TEST.tsv" | cut -f2- | tr '\t' '\n' > "$out/gunpoint_series.txt"
.venv/bin/rnnkit classify explain --run "$out/classify_gunpoint" --series "$out/gunpoint_series.txt"
echo
if [ -f "$data/textcls/SMSSpamCollection" ]; then
    echo "== 3b. short texts: SMS spam (the paper's split: first 30% of lines train, last 70% test)"
    .venv/bin/rnnkit classify train --config configs/classify_sms.toml --data "$data/textcls/SMSSpamCollection" \
        --model attention --out "$out/classify_sms" --threads 1
    .venv/bin/rnnkit classify explain --run "$out/classify_sms" \
        --text "WINNER!! You have won a £1000 prize, call 09061701461 now"
    echo
fi
