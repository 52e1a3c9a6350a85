"""`--clean_text`: each documented cleaning step, and the steps travelling with the model from training (data,
predictions.csv, config, card) to continued training, `LoadedModel.predict`, the ONNX export and the server."""

import csv
import json
import os
import sys

import numpy as np
import pytest
from huggingface_hub import ModelCard

from modeling_amsdff.data import DataError
from modeling_amsdff.inference import InferenceInputError, SavedModelError, load_for_inference
from modeling_amsdff.text_cleaning import ALL_STEPS, check_steps, clean_text

from helpers import FAST


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


@pytest.mark.parametrize(
    "step, text, cleaned",
    [
        ("html", "<p>Great <b>film</b></p><br/>", " Great  film   "),
        ("html", '<a href="https://x.org">link</a>', " link "),
        ("html", "Tom&#39;s caf&eacute; &amp; bar &lt;b&gt;", "Tom's café & bar <b>"),  # a decoded tag stays text
        ("html", "x < y and y > z, 1<2", "x < y and y > z, 1<2"),  # not tags
        ("urls", "see https://example.com/a?b=1. (or www.example.org/x)", "see  . (or  )"),
        ("urls", "http://a.b/c, then", " , then"),
        ("emails", "write to first.last+tag@mail.example.co.uk now", "write to   now"),
        ("emails", "a@b is no address", "a@b is no address"),
        ("handles", "@user1 loved it, cc @Film_Fan!", "  loved it, cc  !"),
        ("handles", "it costs 5@3 and no@ handle", "it costs 5@3 and no@ handle"),
        ("whitespace", " a\t\tb \n\n c\u00a0d  ", "a b c d"),
    ],
)
def test_each_cleaning_step_does_what_its_documentation_says(step, text, cleaned):
    assert clean_text(text, [step]) == cleaned


def test_all_steps_run_in_their_fixed_order():
    text = "<p>@critic LOVED it &amp; more at https://t.co/x or mail a@b.com</p>"
    assert clean_text(text) == "LOVED it & more at or mail"
    assert clean_text(text, ["whitespace", "html"]) == clean_text(text, ["html", "whitespace"])
    assert clean_text(text, None) == text and clean_text(text, []) == text
    assert check_steps(["whitespace", "html"]) == ["html", "whitespace"] and ALL_STEPS[-1] == "whitespace"
    with pytest.raises(ValueError, match=r"unknown cleaning step\(s\) \['emoji'\]"):
        check_steps(["html", "emoji"])
    with pytest.raises(ValueError, match="must be a list of cleaning step names"):
        check_steps("html")


REVIEWS = [
    ("<p>A warm and <b>funny</b> film</p>", "positive"),
    ("Dull, slow &amp; far too long https://example.com/review", "negative"),
    ("@critic the cast is wonderful", "positive"),
    ("a tedious mess, mail me at someone@example.org", "negative"),
    ("sharp writing\n\nand great pacing", "positive"),
    ("I wanted my money back", "negative"),
]


def write_reviews(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return str(path)


def test_a_text_left_empty_by_cleaning_is_refused_or_dropped(tiny_encoder, tmp_path):
    data = write_reviews(tmp_path / "train.csv", REVIEWS * 3 + [("https://example.com/only-a-link", "positive")])
    argv = ["--model_name_or_path", tiny_encoder, "--train_file", data, "--clean_text", *FAST, "--max_steps", "1"]
    with pytest.raises(DataError, match=r"row\(s\) of the '\w+' split have an empty text after --clean_text"):
        train.main([*argv, "--output_dir", str(tmp_path / "refused")])
    assert not (tmp_path / "refused").exists()
    train.main([*argv, "--drop_empty_texts", "--output_dir", str(tmp_path / "dropped")])


def test_cleaning_travels_with_the_model(tiny_encoder, tmp_path):
    from fastapi.testclient import TestClient

    from modeling_amsdff.export import export_onnx
    from modeling_amsdff.serving import create_app

    data = write_reviews(tmp_path / "train.csv", REVIEWS * 4)
    out = tmp_path / "cleaned"
    argv = ["--model_name_or_path", tiny_encoder, "--train_file", data, "--test_file", data, *FAST]
    train.main([*argv, "--clean_text", "--output_dir", str(out)])

    assert json.loads((out / "config.json").read_text())["text_cleaning"] == ALL_STEPS
    with open(out / "predictions.csv") as handle:
        inputs = [row["input"] for row in csv.DictReader(handle)]
    assert inputs[:3] == ["A warm and funny film", "Dull, slow & far too long", "the cast is wonderful"]
    card = ModelCard.load(out / "README.md").text
    assert "trained on cleaned texts" in card and "clean_text(text, model.config.text_cleaning)" in card

    loaded = load_for_inference(str(out))
    raw = ["<i>A warm</i> and funny film https://x.y/z", "@someone  dull,\tslow &amp; far too long"]
    assert loaded.predict(raw) == loaded.predict(["A warm and funny film", "dull, slow & far too long"])
    with pytest.raises(InferenceInputError, match="Item 1 is empty after the model's text cleaning"):
        loaded.preprocess(["fine", "<br/> https://only.a/link "])

    # trained further without the flag, the model keeps cleaning (and says so in its config)
    train.main([*argv, "--model_name_or_path", str(out), "--output_dir", str(tmp_path / "further")])
    assert json.loads((tmp_path / "further" / "config.json").read_text())["text_cleaning"] == ALL_STEPS

    # the ONNX export keeps the steps in its config, and the server cleans before the graph runs
    export_onnx(str(out), str(tmp_path / "onnx"))
    assert json.loads((tmp_path / "onnx" / "config.json").read_text())["text_cleaning"] == ALL_STEPS
    with TestClient(create_app(str(out), onnx=str(tmp_path / "onnx"))) as client:
        served = client.post("/predict", json={"inputs": raw}).json()["predictions"]
        expected = loaded.predict(raw)
        assert [p["label"] for p in served] == [p["label"] for p in expected]
        np.testing.assert_allclose([p["score"] for p in served], [p["score"] for p in expected], atol=1e-5)
        answer = client.post("/predict", json={"inputs": ["<p></p>"]})
        assert answer.status_code == 422 and "empty after the model's text cleaning" in answer.text


def test_a_config_with_unknown_cleaning_steps_is_named(tiny_encoder, tmp_path):
    from modeling_amsdff import AmsdffForSequenceClassification

    model = AmsdffForSequenceClassification.from_pretrained_backbone(tiny_encoder, num_labels=2)
    model.config.text_cleaning = ["html", "emoji"]
    model.save_pretrained(tmp_path / "m")
    with pytest.raises(SavedModelError, match=r"text_cleaning in .*config.json names unknown cleaning step"):
        load_for_inference(str(tmp_path / "m"))
