#!/usr/bin/env python
"""Fetch transformers' own model test battery (`ModelTesterMixin`, `ConfigTester`) for the installed version.

The battery ships in the transformers source distribution on PyPI, not in the wheel. This script downloads that
sdist once (`pip download --no-deps --no-binary :all: transformers==<installed>`), extracts
`tests/test_modeling_common.py` and `tests/test_configuration_common.py` into `tests/hf_battery/` (git-ignored), and
writes small stubs for the three modules they import that the sdist lacks:

- `exporters/test_export.py`: `ExportTesterMixin` (torch.export tests; this package tests export separately),
- `generation/test_utils.py`: `GenerationTesterMixin` (no model here generates text),
- `utils/test_configuration_utils.py`: `config_common_kwargs` (the common `PreTrainedConfig` arguments that
  `ConfigTester` sets and reads back).
"""

import glob
import os
import subprocess
import sys
import tarfile
import tempfile

import transformers


HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "hf_battery")
FILES = ("test_modeling_common.py", "test_configuration_common.py")

STUBS = {
    "__init__.py": '"""transformers\' model test battery, extracted by tests/fetch_transformers_tests.py."""\n',
    "exporters/__init__.py": "",
    "exporters/test_export.py": (
        '"""Stub: the sdist lacks tests/exporters; torch.export is exercised elsewhere in this package."""\n\n\n'
        "class ExportTesterMixin:\n    pass\n"
    ),
    "generation/__init__.py": "",
    "generation/test_utils.py": (
        '"""Stub: the sdist lacks tests/generation; no model of this package generates."""\n\n\n'
        "class GenerationTesterMixin:\n    pass\n"
    ),
    "utils/__init__.py": "",
    "utils/test_configuration_utils.py": (
        '"""Stub: common PreTrainedConfig arguments that ConfigTester sets and reads back."""\n\n'
        "config_common_kwargs = {\n"
        '    "return_dict": False,\n'
        '    "output_hidden_states": True,\n'
        '    "dtype": "float16",\n'
        '    "chunk_size_feed_forward": 5,\n'
        '    "id2label": {0: "label"},\n'
        '    "label2id": {"label": "0"},\n'
        '    "problem_type": "regression",\n'
        "}\n"
    ),
}


def main() -> None:
    version = transformers.__version__
    stamp = os.path.join(TARGET, "VERSION")
    if os.path.isfile(stamp) and open(stamp).read().strip() == version:
        return
    cache = os.path.join(os.path.dirname(HERE), ".cache", "transformers-sdist")
    os.makedirs(cache, exist_ok=True)
    archives = glob.glob(os.path.join(cache, f"transformers-{version}.tar.gz"))
    if not archives:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"transformers=={version}",
                "-d",
                cache,
            ],
            check=True,
        )
        archives = glob.glob(os.path.join(cache, f"transformers-{version}.tar.gz"))
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archives[0]) as archive:
        members = [m for m in archive.getmembers() if m.name.endswith(tuple(f"/tests/{f}" for f in FILES))]
        if len(members) != len(FILES):
            raise SystemExit(f"transformers {version} sdist lacks {FILES}: found {[m.name for m in members]}")
        archive.extractall(tmp, members=members, filter="data")
        os.makedirs(TARGET, exist_ok=True)
        for member in members:
            os.replace(os.path.join(tmp, member.name), os.path.join(TARGET, os.path.basename(member.name)))
    for name, text in STUBS.items():
        path = os.path.join(TARGET, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
    with open(stamp, "w") as handle:
        handle.write(version)
    print(f"transformers {version} test battery ready in {TARGET}")


if __name__ == "__main__":
    main()
