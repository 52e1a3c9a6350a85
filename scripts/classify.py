#!/usr/bin/env python
"""Classify sentences with a saved model folder (or Hub repo) through `pipeline(..., trust_remote_code=True)`.

The import of `modeling_amsdff` is blocked in this process, so the model's code comes from the folder itself,
exactly as for a user who has only `transformers` installed.

    python scripts/classify.py outputs/amsdff-rotten-tomatoes "a gripping, beautifully acted film" "a tedious mess"
"""

import importlib.abc
import sys


class _BlockPackage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "modeling_amsdff" or name.startswith("modeling_amsdff."):
            raise ImportError("modeling_amsdff is blocked: the saved folder must carry its own code")


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.meta_path.insert(0, _BlockPackage())
    from transformers import pipeline

    folder, sentences = sys.argv[1], sys.argv[2:]
    classifier = pipeline("text-classification", model=folder, trust_remote_code=True)
    print(f"model class: {type(classifier.model).__module__}.{type(classifier.model).__name__}")
    for sentence, prediction in zip(sentences, classifier(sentences)):
        print(f"{prediction['label']:>8} ({prediction['score']:.3f})  {sentence}")


if __name__ == "__main__":
    main()
