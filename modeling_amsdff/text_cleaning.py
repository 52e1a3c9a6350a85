# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Opt-in text cleaning (`train.py --clean_text`), the same at training, evaluation, prediction and serving time.

A model trained on cleaned texts records the steps in its config (`text_cleaning`, a list of step names, saved in
`config.json` and copied into an ONNX export's folder), so that `train.py` continuing it, `amsdff-serve` (PyTorch or
ONNX Runtime) and `LoadedModel.predict` clean every text the same way. A `transformers` pipeline does not read it:
call `clean_text(text, model.config.text_cleaning)` first (the model card says so). The steps, in this order:

- `html`: HTML tags (`<b>`, `</p>`, `<br/>`, `<a href="...">`) become a space, then character references are decoded
  (`&amp;` -> `&`, `&#39;` -> `'`, `&eacute;` -> `é`), as `html.unescape` does;
- `urls`: web addresses starting with `http://`, `https://` or `www.` are removed (up to the next space; a closing
  bracket or punctuation mark after one is kept);
- `emails`: e-mail addresses (`name@example.org`) are removed;
- `handles`: user handles (`@name`: letters, digits and `_`, not inside a word) are removed;
- `whitespace`: every run of whitespace (spaces, tabs, line breaks, no-break spaces) becomes one space, and the text
  is stripped.

Uses only the standard library. Not copied to the Hub with a model.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence


HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"]*[^\s<>\"'.,;:!?)\]}]")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
HANDLE = re.compile(r"(?<![\w@])@\w{1,50}")
WHITESPACE = re.compile(r"\s+")


def _html(text: str) -> str:
    return html.unescape(HTML_TAG.sub(" ", text))


CLEANING_STEPS: dict[str, Callable[[str], str]] = {
    "html": _html,
    "urls": lambda text: URL.sub(" ", text),
    "emails": lambda text: EMAIL.sub(" ", text),
    "handles": lambda text: HANDLE.sub(" ", text),
    "whitespace": lambda text: WHITESPACE.sub(" ", text).strip(),
}
ALL_STEPS = list(CLEANING_STEPS)  # what --clean_text applies


def check_steps(steps, where: str = "text_cleaning") -> list[str] | None:
    """`steps` as a list of known step names in their fixed order (None or empty: no cleaning); unknown names, or a
    value that is not a list of names, are refused naming `where` (e.g. the config file)."""
    if not steps:
        return None
    if isinstance(steps, str) or not isinstance(steps, Sequence) or not all(isinstance(s, str) for s in steps):
        raise ValueError(f"{where} must be a list of cleaning step names ({ALL_STEPS}), got {steps!r}.")
    unknown = sorted(set(steps) - set(CLEANING_STEPS))
    if unknown:
        raise ValueError(f"{where} names unknown cleaning step(s) {unknown}; the steps are {ALL_STEPS}.")
    return [name for name in CLEANING_STEPS if name in steps]


def clean_text(text: str, steps: Sequence[str] | None = ALL_STEPS) -> str:
    """`text` after the cleaning `steps` (see the module's docstring); None or an empty list leaves it as it is."""
    for name in check_steps(steps) or ():
        text = CLEANING_STEPS[name](text)
    return text
