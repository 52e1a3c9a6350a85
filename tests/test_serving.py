"""The REST server (modeling_amsdff/serving.py) as users run it: a real uvicorn process on loopback over a saved text
classifier and a saved image classifier; predictions equal the model's own, concurrent requests are batched, and
malformed input gets a 4xx answer that names the problem."""

import base64
import io
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
import torch
from PIL import Image
from transformers import AutoTokenizer

from modeling_amsdff import AmsdffForSequenceClassification, AmsraNetForImageClassification, AmsraNetImageProcessor
from modeling_amsdff.inference import load_for_inference
from modeling_amsdff.serving import main as serving_main

from helpers import free_port
from model_cases import tiny_amsra_config


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXTS = ["a warm and funny film", "dull, slow and far too long", "the cast is wonderful", "a tedious mess"]


class Server:
    def __init__(self, folder, *extra):
        self.url = f"http://127.0.0.1:{free_port()}"
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "modeling_amsdff.serving", str(folder), "--port", port, "--threads", "1", *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.stderr.read()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).json() == {"status": "ok"}:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise AssertionError("server did not come up in 120 s")

    def post(self, payload, **kwargs):
        return httpx.post(
            self.url + "/predict", timeout=60, **({"json": payload} if payload is not None else {}), **kwargs
        )

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def text_server(tiny_encoder, tmp_path):
    torch.manual_seed(0)
    folder = tmp_path / "text"
    model = AmsdffForSequenceClassification.from_pretrained_backbone(
        tiny_encoder, num_labels=2, id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1}
    )
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(folder)
    server = Server(folder, "--max_wait_ms", "50")
    yield server, folder
    server.close()


def png_base64(array) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_text_predictions_batching_and_errors(text_server):
    server, folder = text_server
    info = httpx.get(server.url + "/info").json()
    assert info["kind"] == "text" and info["labels"] == ["negative", "positive"] and info["model_type"] == "amsdff"

    expected = load_for_inference(str(folder)).predict(TEXTS)
    answer = server.post({"inputs": TEXTS})
    assert answer.status_code == 200
    predictions = answer.json()["predictions"]
    assert [p["label"] for p in predictions] == [p["label"] for p in expected]
    np.testing.assert_allclose([p["score"] for p in predictions], [p["score"] for p in expected], atol=1e-5)

    # 16 concurrent one-text requests: each gets its own answer, and the server ran fewer model calls than requests.
    before = httpx.get(server.url + "/info").json()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda text: server.post({"inputs": [text]}), TEXTS * 4))
    assert all(a.status_code == 200 for a in answers)
    for answer, reference in zip(answers, expected * 4):
        assert abs(answer.json()["predictions"][0]["score"] - reference["score"]) < 1e-5
    after = httpx.get(server.url + "/info").json()
    assert after["items"] - before["items"] == 16
    assert after["batches"] - before["batches"] < 16 and after["largest_batch"] > 1

    for payload, status, message in [
        ({"inputs": []}, 422, "`inputs` is empty"),
        ({"inputs": ["fine", "   "]}, 422, "Item 1 is an empty text"),
        ({"inputs": ["fine", 3]}, 422, "Item 1 is of type int"),
        ({"inputs": ["x"] * 300}, 413, "the limit is 256"),
        ({"texts": ["fine"]}, 422, "inputs"),
    ]:
        answer = server.post(payload)
        assert answer.status_code == status, answer.text
        assert message in answer.text
    answer = server.post(None, content=b"not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    lone_surrogate = b'{"inputs": ["fine", "abc \\ud800"]}'  # valid JSON, but no valid Unicode text
    answer = server.post(None, content=lone_surrogate, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422 and "Item 1 is not valid Unicode text" in answer.text, answer.text


@pytest.mark.slow
def test_onnx_backend_serves_the_exported_graph(tiny_encoder, tmp_path):
    from modeling_amsdff.export import export_onnx

    torch.manual_seed(0)
    folder = tmp_path / "text"
    AmsdffForSequenceClassification.from_pretrained_backbone(tiny_encoder, num_labels=3).save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(folder)
    export_onnx(str(folder), str(tmp_path / "onnx"))
    server = Server(folder, "--onnx", str(tmp_path / "onnx"))
    try:
        assert httpx.get(server.url + "/info").json()["backend"] == "onnxruntime"
        expected = load_for_inference(str(folder)).predict(TEXTS)
        predictions = server.post({"inputs": TEXTS}).json()["predictions"]
        np.testing.assert_allclose(
            [list(p["scores"].values()) for p in predictions],
            [list(p["scores"].values()) for p in expected],
            atol=1e-5,
        )
    finally:
        server.close()
    # The command line (run in this process: a fresh interpreter costs seconds) ends in one line, no traceback.
    with pytest.raises(SystemExit, match="^error: No ONNX model at"):
        serving_main([str(folder), "--onnx", str(tmp_path / "missing.onnx")])


def test_image_predictions_and_errors(tmp_path):
    torch.manual_seed(0)
    folder = tmp_path / "image"
    AmsraNetForImageClassification(tiny_amsra_config(num_channels=1, image_size=16)).save_pretrained(folder)
    AmsraNetImageProcessor(num_channels=1, size={"height": 16, "width": 16}).save_pretrained(folder)
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 255, (20, 20, 3), dtype=np.uint8) for _ in range(3)]
    server = Server(folder)
    try:
        answer = server.post({"inputs": [png_base64(a) for a in arrays]})
        assert answer.status_code == 200, answer.text
        expected = load_for_inference(str(folder)).predict([Image.fromarray(a) for a in arrays])
        np.testing.assert_allclose(
            [list(p["scores"].values()) for p in answer.json()["predictions"]],
            [list(p["scores"].values()) for p in expected],
            atol=1e-5,
        )
        assert server.post({"inputs": ["%%% not base64"]}).status_code == 422
        answer = server.post({"inputs": [base64.b64encode(b"plain text, not an image").decode()]})
        assert answer.status_code == 422 and "not an image file" in answer.text
    finally:
        server.close()


def test_server_names_a_missing_folder(tmp_path):
    with pytest.raises(SystemExit, match="^error: .*holds no saved model"):  # one line, exit code 1, no traceback
        serving_main([str(tmp_path / "nothing")])


def png_header_base64(width: int, height: int) -> str:
    """A PNG whose header announces `width` x `height` greyscale pixels, with a few bytes of pixel data: a decoder that
    trusted the header would allocate width * height bytes (a decompression bomb costs the same)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(data).decode()


def test_requests_over_a_limit_get_413_and_the_server_stays_up(tmp_path):
    torch.manual_seed(0)
    folder = tmp_path / "image"
    AmsraNetForImageClassification(tiny_amsra_config(num_channels=1, image_size=16)).save_pretrained(folder)
    AmsraNetImageProcessor(num_channels=1, size={"height": 16, "width": 16}).save_pretrained(folder)
    limits = ["--max_body_bytes", "200000", "--max_image_pixels", "10000", "--max_request_pixels", "15000"]
    server = Server(folder, *limits)
    try:
        info = httpx.get(server.url + "/info").json()
        assert info["limits"]["max_image_pixels"] == 10000
        assert str(tmp_path) not in json.dumps(info) and info["model"] == "image"  # no server file system path
        small = png_base64(np.zeros((90, 90), dtype=np.uint8))  # 8,100 pixels
        assert server.post({"inputs": [small]}).status_code == 200
        for payload, message in [
            ({"inputs": [png_base64(np.zeros((120, 120), dtype=np.uint8))]}, "the limit is 10,000 pixels per image"),
            ({"inputs": [small, small]}, "--max_request_pixels"),
            ({"inputs": [png_header_base64(20000, 20000)]}, "too large to decode safely"),  # PIL's bomb check
            ({"inputs": [png_header_base64(5000, 5000)]}, "25,000,000 pixels"),  # checked before decoding
            ({"inputs": ["A" * 300_000]}, "--max_body_bytes"),
        ]:
            answer = server.post(payload)
            assert answer.status_code == 413 and message in answer.text, answer.text
        # A body streamed without a Content-Length is cut off at the limit too.
        streamed = httpx.post(
            server.url + "/predict",
            content=(b"x" * 50_000 for _ in range(10)),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        assert streamed.status_code == 413 and "--max_body_bytes" in streamed.text
        assert httpx.get(server.url + "/health").json() == {"status": "ok"}
        assert server.post({"inputs": [small]}).status_code == 200
    finally:
        server.close()


class _RecordingTokenizer:
    """Stands in for a tokenizer and records the texts it is given."""

    def __init__(self):
        self.seen = []

    def __call__(self, texts, **kwargs):
        self.seen.extend(texts)
        return {"input_ids": torch.ones(len(texts), 2, dtype=torch.long), "attention_mask": torch.ones(len(texts), 2)}


def test_texts_are_limited_and_cut_before_tokenising():
    from modeling_amsdff.inference import InputTooLargeError, LoadedModel
    from modeling_amsdff.serving import CHARACTERS_PER_TOKEN, ServerLimits, prepare

    tokenizer = _RecordingTokenizer()
    loaded = LoadedModel(model=None, processor=tokenizer, kind="text", folder="m", max_length=8)
    prepare(loaded, ["short", "y" * 5000], ServerLimits())
    assert tokenizer.seen == ["short", "y" * (CHARACTERS_PER_TOKEN * 8)]  # the tokenizer never sees the rest
    with pytest.raises(InputTooLargeError, match="Item 1 has 60,000 characters; the limit is 50,000"):
        prepare(loaded, ["fine", "z" * 60_000], ServerLimits())


def hostile_tiff(sizes: list[tuple[int, int]]) -> bytes:
    """A greyscale TIFF with one page per (width, height), each page's strip 64 zero bytes: a page may declare any
    size in its header; decoding it would allocate that much."""
    import struct

    entries_per_page, strip = 8, bytes(64)
    offset, pages = 8, []
    for index, (width, height) in enumerate(sizes):
        strip_at = offset + 2 + entries_per_page * 12 + 4
        following = strip_at + len(strip) if index + 1 < len(sizes) else 0
        entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1)]
        entries += [(273, 4, 1, strip_at), (278, 4, 1, height), (279, 4, 1, len(strip))]
        page = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *entry) for entry in entries)
        pages.append(page + struct.pack("<I", following) + strip)
        offset = strip_at + len(strip)
    return b"II*\x00" + struct.pack("<I", 8) + b"".join(pages)


def test_images_are_opened_only_in_the_model_formats_and_every_frame_is_sized_first():
    import struct

    from modeling_amsdff.inference import InferenceInputError, InputTooLargeError, LoadedModel
    from modeling_amsdff.serving import ServerLimits, prepare

    processor = AmsraNetImageProcessor(num_channels=1, size={"height": 16, "width": 16})
    loaded = LoadedModel(model=None, processor=processor, kind="image", folder="m")
    limits = ServerLimits(max_image_pixels=4096 * 4096)

    def encoded(data: bytes) -> str:
        return base64.b64encode(data).decode()

    # An ICO whose directory says 256x256 but that holds a PNG of 13000x13000: Pillow would decode the PNG inside
    # Image.open, before any size check. ICO is not a format the models take: refused before it is parsed.
    png = zero_png(13000, 13000)
    icon = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22) + png
    with pytest.raises(InferenceInputError, match=r"format the model takes \(PNG, JPEG, WEBP, BMP, GIF, TIFF\)"):
        prepare(loaded, [encoded(icon)], limits)

    # A TIFF whose first page is small and whose second declares 60000x60000: refused from the headers.
    with pytest.raises(InputTooLargeError, match=r"60000x60000 image \(frame 1\)"):
        prepare(loaded, [encoded(hostile_tiff([(8, 8), (60000, 60000)]))], limits)
    assert prepare(loaded, [encoded(hostile_tiff([(8, 8), (9, 9)]))], limits)["pixel_values"].shape == (1, 1, 16, 16)

    # Animated GIF and PNG: the first frame is decoded, after its canvas size was checked (see the 413 test).
    for kind in ("GIF", "PNG"):
        frames = [Image.new("L", (8, 8), value) for value in (0, 80, 160, 240)]
        buffer = io.BytesIO()
        frames[0].save(buffer, kind, save_all=True, append_images=frames[1:])
        assert Image.open(io.BytesIO(buffer.getvalue())).n_frames == 4
        assert prepare(loaded, [encoded(buffer.getvalue())], limits)["pixel_values"].shape == (1, 1, 16, 16)


def zero_png(width: int, height: int) -> bytes:
    """A complete greyscale PNG of `width` x `height` black pixels (compressed to a few hundred kB even when huge)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    stream = zlib.compressobj(9)
    pixels = b"".join(stream.compress(b"\0" * (width + 1)) for _ in range(height)) + stream.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_the_server_names_an_onnx_file_or_config_it_cannot_read(tmp_path):
    from modeling_amsdff.inference import SavedModelError
    from modeling_amsdff.serving import create_app

    folder = tmp_path / "image"
    AmsraNetForImageClassification(tiny_amsra_config(num_channels=1, image_size=16)).save_pretrained(folder)
    AmsraNetImageProcessor(num_channels=1, size={"height": 16, "width": 16}).save_pretrained(folder)
    with pytest.raises(ValueError, match="config.json' is not an ONNX model that ONNX Runtime can load"):
        create_app(str(folder), onnx=str(folder / "config.json"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("[1, 2]")
    with pytest.raises(SavedModelError, match="holds a JSON list, not a model config"):
        create_app(str(broken))
