# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Text augmentation for training batches (`--augmentation eda`): EDA's four operations (Wei & Zou, "EDA: Easy Data
Augmentation Techniques for Boosting Performance on Text Classification Tasks", EMNLP 2019) -- synonym replacement,
random insertion of a synonym, random swap, random deletion -- applied on the fly to the raw text of training
examples, seeded; validation and test texts are never touched.

Synonyms come from WordNet 3.0, read offline from the database files of Debian's `wordnet-base` package
(`/usr/share/wordnet`, or `$WORDNET_DIR`; `scripts/setup_env.sh` installs it). The files are read here in their
documented format (index.<pos> maps a lemma to its synsets' byte offsets in data.<pos>, whose line lists the synset's
words): nltk's WordNet reader needs a `lexnames` file that Debian does not ship, and the PyPI WordNet packages
download their data at run time. Not copied to the Hub with a model."""

from __future__ import annotations

import os
import random
import re
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from transformers import DataCollatorWithPadding


WORDNET_DIR = "/usr/share/wordnet"
PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")
AUGMENTATIONS = ("eda",)
EDA_OPERATIONS = ("synonym_replacement", "random_insertion", "random_swap", "random_deletion")
EDA_ALPHA = 0.1  # share of a text's words that an operation changes (at least one), the paper's default
WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*$")


class WordNetError(FileNotFoundError):
    """Raised when the WordNet database files are not there."""


def wordnet_dir() -> str:
    return os.environ.get("WORDNET_DIR", WORDNET_DIR)


class WordNet:
    """Synonyms of English words from a WordNet database folder (index.<pos>, data.<pos> and <pos>.exc of each part
    of speech): every other word of every synset the word's base form is a lemma of, in WordNet's order, without
    duplicates. Base forms as WordNet's morphy finds them: the exception lists, then the suffix rules of its part of
    speech ("movies" -> "movie", "went" -> "go")."""

    SUFFIXES = {  # WordNet's morphy rules: (inflected ending, base ending)
        "noun": (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
                 ("ies", "y")),
        "verb": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"),
                 ("ing", "")),
        "adj": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
        "adv": (),
    }  # fmt: skip

    def __init__(self, folder: str | None = None):
        self.folder = folder or wordnet_dir()
        missing = [
            name
            for pos in PARTS_OF_SPEECH
            for name in (f"index.{pos}", f"data.{pos}")
            if not os.path.isfile(os.path.join(self.folder, name))
        ]
        if missing:
            raise WordNetError(
                f"WordNet is not in {self.folder!r} (missing {missing[:2]}...): install Debian's wordnet-base "
                "(apt-get install wordnet-base; scripts/setup_env.sh does), or set WORDNET_DIR to a WordNet 3.0 "
                "dict folder."
            )
        # The index files (a few MB) are searched in memory; data lines are read at their offsets when needed.
        self.index = {pos: self._read(f"index.{pos}") for pos in PARTS_OF_SPEECH}
        self.exceptions = {pos: self._read_exceptions(pos) for pos in PARTS_OF_SPEECH}
        self.data = {pos: open(os.path.join(self.folder, f"data.{pos}"), "rb") for pos in PARTS_OF_SPEECH}
        self.cache: dict[str, tuple[str, ...]] = {}

    def _read(self, name: str) -> bytes:
        with open(os.path.join(self.folder, name), "rb") as handle:
            return b"\n" + handle.read()

    def _read_exceptions(self, pos: str) -> dict[str, list[str]]:
        """<pos>.exc: an inflected form and its base forms per line ("went go")."""
        path = os.path.join(self.folder, f"{pos}.exc")
        if not os.path.isfile(path):
            return {}
        with open(path, encoding="utf-8") as handle:
            return {fields[0]: fields[1:] for fields in map(str.split, handle) if len(fields) > 1}

    def _offsets(self, pos: str, lemma: str) -> list[int]:
        """Byte offsets in data.<pos> of the synsets of `lemma`. An index line: lemma pos synset_cnt p_cnt
        [ptr_symbol x p_cnt] sense_cnt tagsense_cnt synset_offset x synset_cnt (license lines start with spaces)."""
        index = self.index[pos]
        start = index.find(b"\n" + lemma.encode("utf-8") + b" ")
        if start < 0:
            return []
        fields = index[start + 1 : index.index(b"\n", start + 1)].split()
        return [int(offset) for offset in fields[-int(fields[2]) :]]

    def base_forms(self, pos: str, word: str) -> list[str]:
        forms = [word, *self.exceptions[pos].get(word, ())]
        forms += [
            word[: -len(end)] + base for end, base in self.SUFFIXES[pos] if word.endswith(end) and len(word) > len(end)
        ]
        return list(dict.fromkeys(form for form in forms if self._offsets(pos, form)))

    def _synset_words(self, pos: str, offset: int) -> list[str]:
        """The words of the synset at `offset`: synset_offset lex_filenum ss_type w_cnt (hex) [word lex_id]..."""
        handle = self.data[pos]
        handle.seek(offset)
        fields = handle.readline().decode("utf-8").split()
        count = int(fields[3], 16)
        words = fields[4 : 4 + 2 * count : 2]
        return [re.sub(r"\(\w+\)$", "", word).replace("_", " ") for word in words]  # "galore(ip)" -> "galore"

    def synonyms(self, word: str) -> tuple[str, ...]:
        word = word.lower()
        if word not in self.cache:
            self.cache[word] = self._find_synonyms(word)
        return self.cache[word]

    def _find_synonyms(self, word: str) -> tuple[str, ...]:
        found = []
        for pos in PARTS_OF_SPEECH:
            for lemma in self.base_forms(pos, word):
                for offset in self._offsets(pos, lemma):
                    for synonym in self._synset_words(pos, offset):
                        if synonym.lower() not in (word, lemma) and synonym not in found:
                            found.append(synonym)
        return tuple(found)


@lru_cache(maxsize=2)
def load_wordnet(folder: str | None = None) -> WordNet:
    return WordNet(folder)


class Eda:
    """EDA's operations on whitespace-separated words. Each changes `max(1, round(alpha * words))` words; stop words
    (scikit-learn's English list) are never replaced by synonyms nor get synonyms inserted, as in the paper."""

    def __init__(self, wordnet: WordNet, alpha: float = EDA_ALPHA, seed: int = 0):
        self.wordnet = wordnet
        self.alpha = alpha
        self.random = random.Random(seed)

    def changes(self, words: list[str]) -> int:
        return max(1, round(self.alpha * len(words)))

    def _candidates(self, words: list[str]) -> list[int]:
        """Positions of words that may get synonyms: real words, not stop words, with at least one synonym."""
        return [
            i
            for i, word in enumerate(words)
            if WORD.match(word) and word.lower() not in ENGLISH_STOP_WORDS and self.wordnet.synonyms(word)
        ]

    def synonym_replacement(self, words: list[str]) -> list[str]:
        words = list(words)
        positions = self._candidates(words)
        self.random.shuffle(positions)
        for i in positions[: self.changes(words)]:
            words[i] = self.random.choice(self.wordnet.synonyms(words[i]))
        return words

    def random_insertion(self, words: list[str]) -> list[str]:
        """A synonym of a random word of the text (not a stop word), inserted at a random position, n times."""
        sources = [words[i] for i in self._candidates(words)]
        inserted = list(words)
        for _ in range(self.changes(words) if sources else 0):
            synonym = self.random.choice(self.wordnet.synonyms(self.random.choice(sources)))
            inserted.insert(self.random.randint(0, len(inserted)), synonym)
        return inserted

    def random_swap(self, words: list[str]) -> list[str]:
        words = list(words)
        if len(words) < 2:
            return words
        for _ in range(self.changes(words)):
            i, j = self.random.sample(range(len(words)), 2)
            words[i], words[j] = words[j], words[i]
        return words

    def random_deletion(self, words: list[str]) -> list[str]:
        if len(words) < 2:
            return list(words)
        kept = [word for word in words if self.random.random() >= self.alpha]
        return kept or [self.random.choice(words)]  # never an empty text

    def augment_words(self, words: list[str], operation: str | None = None) -> tuple[str, list[str]]:
        """(operation, words after it): `operation`, or one drawn at random."""
        operation = operation or self.random.choice(EDA_OPERATIONS)
        return operation, getattr(self, operation)(words) if words else list(words)

    def __call__(self, text: str, operation: str | None = None) -> str:
        """`text` after one EDA operation (`operation`, or one drawn at random), its words joined by spaces."""
        words = text.split()
        return " ".join(self.augment_words(words, operation)[1]) if words else text


class TextAugmentationCollator:
    """A collator for training batches of raw texts: each example's `text` is augmented with probability
    `probability` (one EDA operation drawn at random), then tokenised and padded by `pad` (a padding collator, or
    the token-masking one). Needs the `text` column, which the training split keeps for it (`input_columns`)."""

    input_columns = ("text",)

    def __init__(self, tokenizer, eda: Eda, probability: float, max_length: int, pad=None):
        self.tokenizer = tokenizer
        self.eda = eda
        self.probability = probability
        self.max_length = max_length
        self.pad = pad or DataCollatorWithPadding(tokenizer)
        self.last_batch: list[tuple] = []

    def augment(self, texts: list[str]) -> list[str]:
        """The texts of a batch, each augmented with probability `probability`; `last_batch` keeps (operation or None,
        words before, words after) of each, for inspection."""
        self.last_batch = []
        augmented = []
        for text in texts:
            words = text.split()
            if words and self.eda.random.random() < self.probability:
                operation, after = self.eda.augment_words(words)
                self.last_batch.append((operation, words, after))
                augmented.append(" ".join(after))
            else:
                self.last_batch.append((None, words, words))
                augmented.append(text)
        return augmented

    def __call__(self, features: list[dict]) -> dict:
        texts = self.augment([feature["text"] for feature in features])
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length)
        rows = []
        for index, feature in enumerate(features):
            row = {key: value for key, value in feature.items() if key != "text" and key not in encoded}
            row.update({key: encoded[key][index] for key in encoded})
            rows.append(row)
        return self.pad(rows)


def check_augmentation(name: str | None, probability: float) -> None:
    if name is not None and name not in AUGMENTATIONS:
        raise ValueError(f"--augmentation must be one of {list(AUGMENTATIONS)}, got {name!r}.")
    if not 0.0 < probability <= 1.0:
        raise ValueError(f"--augmentation_probability must be in (0, 1], got {probability}.")
    if name is not None:
        try:
            load_wordnet()
        except WordNetError as error:
            raise ValueError(f"--augmentation {name}: {error}") from None
