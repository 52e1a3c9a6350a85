"""Text augmentation (`--augmentation eda`): WordNet read offline from Debian's wordnet-base, each EDA operation
changes a text only in the way it is allowed to, the collator augments training batches on the fly (seeded), and a
real run on Rotten Tomatoes with MiniLM trains on augmented texts."""

import os
import sys

import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from modeling_amsdff.augmentation import (
    EDA_OPERATIONS,
    Eda,
    TextAugmentationCollator,
    WordNet,
    WordNetError,
    load_wordnet,
    wordnet_dir,
)

from helpers import FAST


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


TEXTS = [
    "a warm and funny film about two brothers who went fishing",
    "the plot is thin but the actors are charming and the music is great",
    "dull , slow and far too long",
    "an ambitious movie that never finds its heart",
    "good",
]


@pytest.fixture(scope="module")
def wordnet():
    if not os.path.isfile(os.path.join(wordnet_dir(), "index.noun")):
        pytest.skip("WordNet is not installed (scripts/setup_env.sh installs Debian's wordnet-base)")
    return load_wordnet()


def explained(operation, before: list[str], after: list[str], wordnet: WordNet, eda: Eda) -> bool:
    """Whether `after` is what `operation` may make of `before`."""
    if operation is None:
        return after == before
    if operation == "random_swap":
        return sorted(after) == sorted(before)
    if operation == "random_deletion":
        remaining = iter(before)
        return 0 < len(after) and all(word in remaining for word in after)  # an ordered subsequence
    if operation == "synonym_replacement":
        changed = [(b, a) for b, a in zip(before, after) if a != b]
        return (
            len(after) == len(before)
            and len(changed) <= eda.changes(before)
            and all(b.lower() not in ENGLISH_STOP_WORDS and a in wordnet.synonyms(b) for b, a in changed)
        )
    if operation == "random_insertion":
        synonyms = {s for word in before for s in wordnet.synonyms(word)}
        inserted = list(after)
        for word in before:  # remove the original words in order; what is left was inserted
            inserted.remove(word)
        return len(inserted) <= eda.changes(before) and all(word in synonyms for word in inserted)
    return False


def test_wordnet_synonyms_with_base_forms(wordnet):
    assert "film" in wordnet.synonyms("movie") and "movie" not in wordnet.synonyms("movie")
    assert "film" in wordnet.synonyms("movies")  # plural -> base form
    assert "travel" in wordnet.synonyms("went")  # irregular form, from the exception list
    assert "amusing" in wordnet.synonyms("Funny")
    assert wordnet.synonyms("xyzzyq") == ()
    with pytest.raises(WordNetError, match="install Debian's wordnet-base"):
        WordNet("/nonexistent")


def test_each_eda_operation_changes_only_what_it_may(wordnet):
    for seed in range(20):
        eda = Eda(wordnet, seed=seed)
        for text in TEXTS:
            words = text.split()
            for operation in EDA_OPERATIONS:
                name, after = eda.augment_words(words, operation)
                assert name == operation and explained(operation, words, after, wordnet, eda), (operation, after)
    eda = Eda(wordnet, seed=0)
    changed = [eda.augment_words(TEXTS[0].split(), op)[1] != TEXTS[0].split() for op in EDA_OPERATIONS]
    assert sum(changed) >= 3  # they do change texts (a deletion of 10% of 11 words may keep them all)
    assert Eda(wordnet, seed=3)(TEXTS[1]) == Eda(wordnet, seed=3)(TEXTS[1])  # seeded


def test_collator_augments_training_batches_on_the_fly(wordnet, tiny_encoder):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    features = [{"text": text, "labels": i % 2} for i, text in enumerate(TEXTS * 4)]
    plain = TextAugmentationCollator(tokenizer, Eda(wordnet, seed=0), 1e-9, 32)(features)
    reference = tokenizer([f["text"] for f in features], truncation=True, max_length=32, padding=True)
    assert plain["input_ids"].tolist() == reference["input_ids"] and plain["labels"].tolist() == [0, 1] * 10
    collator = TextAugmentationCollator(tokenizer, Eda(wordnet, seed=0), 0.5, 32)
    batch = collator(features)
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "labels"}
    operations = [operation for operation, _, _ in collator.last_batch]
    assert 4 <= sum(op is not None for op in operations) <= 16  # about half of 20
    assert all(explained(op, b, a, wordnet, collator.eda) for op, b, a in collator.last_batch)
    again = TextAugmentationCollator(tokenizer, Eda(wordnet, seed=0), 0.5, 32)(features)
    assert again["input_ids"].tolist() == batch["input_ids"].tolist()  # seeded: the same run gets the same texts


def test_bad_augmentation_flags_are_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"--augmentation must be one of \['eda'\], got 'backtranslation'"):
        train.main(["--output_dir", str(tmp_path / "a"), "--augmentation", "backtranslation"])
    with pytest.raises(ValueError, match=r"--augmentation_probability must be in \(0, 1\]"):
        train.main(["--output_dir", str(tmp_path / "b"), "--augmentation", "eda", "--augmentation_probability", "0"])
    with pytest.raises(ValueError, match="--augmentation applies to the text models"):
        train.main(["--model_type", "amsra_net", "--output_dir", str(tmp_path / "c"), "--augmentation", "eda"])


def test_eda_on_rotten_tomatoes(wordnet, tiny_encoder, rotten_tomatoes_available, tmp_path, monkeypatch):
    seen = []
    original = TextAugmentationCollator.__call__

    def recording(self, features):
        batch = original(self, features)
        seen.extend((op, before, after, self.eda) for op, before, after in self.last_batch)
        return batch

    monkeypatch.setattr(TextAugmentationCollator, "__call__", recording)
    out = tmp_path / "eda"
    budget = ["--max_train_samples", "48", "--max_eval_samples", "32", "--max_predict_samples", "32", *FAST]
    results = train.main(
        ["--output_dir", str(out), "--model_name_or_path", tiny_encoder, "--augmentation", "eda"]
        + ["--augmentation_probability", "0.5", "--no_plots", *budget]
    )
    assert 0.0 <= results["predict_accuracy"] <= 1.0
    assert len(seen) == 48  # every training text went through the collator once (one epoch), none of the others
    augmented = [entry for entry in seen if entry[0] is not None]
    assert 10 <= len(augmented) <= 38, len(augmented)
    assert all(explained(op, before, after, wordnet, eda) for op, before, after, eda in seen)
    assert any(after != before for _, before, after, _ in augmented)


def test_drop_empty_texts_that_leaves_no_text_says_so(tiny_encoder, tmp_path):
    from modeling_amsdff.data import DataError

    data = tmp_path / "empty.csv"
    data.write_text("text,label\n" + "\n".join(f",{i % 2}" for i in range(20)))
    args = ["--model_name_or_path", tiny_encoder, "--train_file", str(data), "--output_dir", str(tmp_path / "o")]
    with pytest.raises(DataError, match=r"Every text of the 'train' split is empty .*no text is left after"):
        train.main([*args, "--drop_empty_texts", "--augmentation", "eda", *FAST])
