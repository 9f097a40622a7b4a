#!/usr/bin/env bash
# Train the recurrent net (a GRU) shipped in www/models/rnn/ for the lessons' chapter 3, from
# scratch, on this machine's CPU, in about a quarter of an hour on one core.
#
#   scripts/train-rnn-model.sh [extra `attention-playground train` options]
#
# The same data (scripts/download-corpus.sh), the same mix and the same tokenizer as the default
# GPT (www/models/default/tokenizer.json, read from there: config.json points at it, no copy),
# trained by the same optimiser and schedule; only the model is a GRU (crate/src/rnn.rs). Writes
# www/models/rnn/{config.json,model.safetensors,training-log.json,README.md}; the card adds
# www/models/rnn/NOTES.md (what the run showed, written by hand) to the measured figures.
# Options given here override the defaults below (e.g. --steps 200 for a quick try).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/download-corpus.sh

cargo build --release --quiet --bin attention-playground
"${CARGO_TARGET_DIR:-target}/release/attention-playground" train --arch gru \
    --tokenizer www/models/default/tokenizer.json \
    --corpus data/corpus/hsk.txt:4 \
    --corpus data/corpus/hsk-en.txt:1 \
    --corpus data/corpus/hsk-words.txt:1 \
    --corpus data/corpus/shakespeare.txt:1 \
    --n-embd 40 --n-hidden 144 --n-positions 64 \
    --batch-size 16 --steps 3000 --lr 3e-3 --warmup 200 --eval-every 500 --seed 1337 --threads 1 \
    --out www/models/rnn \
    "$@"
gzip -9 -c www/models/rnn/model.safetensors | wc -c | xargs printf 'model.safetensors gzipped: %s bytes\n'
