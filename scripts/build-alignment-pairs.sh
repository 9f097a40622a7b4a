#!/usr/bin/env bash
# Write www/lessons/data/alignment-pairs.json, the held-out pairs lesson 1 scores every attention
# head on: the validation lines of data/corpus/hsk.txt (the last 10 %, which the default model
# was not trained on) that fit its context, with gold word links from data/corpus/hsk-words.txt.
# Data: hsk-sentences-audio 1.0.0 (CC-BY-SA-4.0), fetched by scripts/download-corpus.sh.
# Idempotent: the same corpus gives the same file (crate/tests/lessons_align.rs checks it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/download-corpus.sh
cargo build --release --quiet --bin attention-playground
"${CARGO_TARGET_DIR:-target}/release/attention-playground" alignment-pairs \
    --model www/models/default --backend scalar --corpus data/corpus --val-fraction 0.1 \
    --out www/lessons/data/alignment-pairs.json
