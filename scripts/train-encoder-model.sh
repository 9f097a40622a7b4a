#!/usr/bin/env bash
# Train the BERT-style encoder shipped in www/models/encoder/, from scratch, on this machine's CPU.
#
#   scripts/train-encoder-model.sh [extra `attention-playground train` options]
#
# The same data (scripts/download-corpus.sh), the same tokenizer (the default GPT's
# www/models/default/tokenizer.json, reused, not retrained) and the same GPT-2 blocks as the
# default model; only the objective differs: bidirectional attention and BERT's masked-token
# recipe (15 % of positions chosen; 80 % [MASK], 10 % a random token, 10 % kept; loss on the
# chosen positions only). Writes
# www/models/encoder/{config.json,model.safetensors,tokenizer.json,training-log.json,README.md},
# the card's prose taken from scripts/encoder-card.md.
# Options given here override the defaults below (e.g. --steps 200 for a quick try).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/download-corpus.sh

cargo build --release --quiet --bin attention-playground
"${CARGO_TARGET_DIR:-target}/release/attention-playground" train --objective masked-tokens \
    --tokenizer www/models/default/tokenizer.json \
    --corpus data/corpus/hsk.txt:4 \
    --corpus data/corpus/hsk-en.txt:1 \
    --corpus data/corpus/hsk-words.txt:1 \
    --corpus data/corpus/shakespeare.txt:1 \
    --n-embd 112 --n-layer 2 --n-head 4 --n-positions 64 \
    --batch-size 16 --steps 8000 --lr 3e-3 --warmup 200 --dropout 0.1 --eval-every 1000 --seed 1337 \
    --out www/models/encoder --card-notes scripts/encoder-card.md \
    "$@"
