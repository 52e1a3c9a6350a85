"""Copy the benchmark tables into the README and docs/, so that each table is written once: in its results file.

Every block

    <!-- include: benchmarks/results/NAME.md [section="HEADING"] [table=N] -->
    ...
    <!-- end include -->

in README.md and docs/*.md is filled with the results file (without its `# ` title line; its headings two levels
lower, under the document's own), or with the part of it under the heading HEADING (up to the next heading), or with
the N-th table (from 1) of that part. The benchmarks
write the results files; run this after them. `--check` changes nothing and exits 1 when a block is out of date
(tests/test_docs.py runs it).

    python scripts/build_docs.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(<!-- include: (?P<path>\S+)(?: section=\"(?P<section>[^\"]+)\")?(?: table=(?P<table>\d+))? -->\n)"
    r"(?P<body>.*?)"
    r"(<!-- end include -->)",
    re.DOTALL,
)
HEADING = re.compile(r"^#{1,6} (.*)$")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def section_of(text: str, heading: str | None) -> list[str]:
    """The lines of `text` under `heading` (up to the next heading), or the whole text without its `# ` title."""
    lines = text.rstrip("\n").split("\n")
    if heading is None:
        return lines[1:] if lines and lines[0].startswith("# ") else lines
    starts = [i for i, line in enumerate(lines) if (m := HEADING.match(line)) and m.group(1).strip() == heading]
    if not starts:
        raise ValueError(f"no heading {heading!r}")
    end = next((i for i in range(starts[0] + 1, len(lines)) if HEADING.match(lines[i])), len(lines))
    return lines[starts[0] + 1 : end]


def tables_of(lines: list[str]) -> list[list[str]]:
    tables, current = [], []
    for line in [*lines, ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def included(path: str, section: str | None, table: str | None, document: Path) -> str:
    source = ROOT / path
    if not source.is_file():
        raise ValueError(f"{document.name}: included file {path} does not exist")
    try:
        lines = section_of(source.read_text(), section)
    except ValueError as error:
        raise ValueError(f"{document.name}: {path}: {error}") from None
    if table is not None:
        tables = tables_of(lines)
        if not 1 <= int(table) <= len(tables):
            raise ValueError(f"{document.name}: {path} has {len(tables)} table(s) there, not a table {table}")
        lines = tables[int(table) - 1]
    lines = ["##" + line if HEADING.match(line) else line for line in lines]
    return "\n".join(lines).strip("\n") + "\n"


def build(document: Path) -> str:
    def fill(match: re.Match) -> str:
        body = included(match["path"], match["section"], match["table"], document)
        return match.group(1) + body + match.group(6)

    return BLOCK.sub(fill, document.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="Change nothing; exit 1 if a document is out of date.")
    args = parser.parse_args(argv)
    stale = []
    for document in documents():
        text = build(document)
        if text != document.read_text():
            stale.append(document.relative_to(ROOT))
            if not args.check:
                document.write_text(text)
    if args.check and stale:
        print(f"out of date (run python scripts/build_docs.py): {', '.join(map(str, stale))}", file=sys.stderr)
        return 1
    if not args.check:
        print(f"updated: {', '.join(map(str, stale)) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
