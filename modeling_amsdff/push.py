# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Push a saved model folder to the Hugging Face Hub: `amsdff-push FOLDER ORG/NAME` (or
`python -m modeling_amsdff.push ...`). The folder is checked first (config with auto_map, code, weights, tokenizer or
image processor, model card); the token comes from --token, HF_TOKEN or `hf auth login`. Not copied to the Hub."""

from __future__ import annotations

import argparse
import sys

from .hub import HubPushError, push_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="amsdff-push", description=__doc__.split(":")[0] + ".")
    parser.add_argument("folder", help="Folder written by train.py or save_pretrained.")
    parser.add_argument("repo_id", help="Hub repository, ORG/NAME (NAME alone: the token's own namespace).")
    parser.add_argument("--token", default=None, help="Hub token (default: HF_TOKEN or the saved login).")
    parser.add_argument("--private", action="store_true", help="Create the repository as private.")
    parser.add_argument("--revision", default=None, help="Branch to push to (created if missing; default main).")
    parser.add_argument("--commit_message", default=None)
    parser.add_argument("--create_pr", action="store_true", help="Open a pull request instead of committing.")
    parser.add_argument(
        "--include_other_files",
        action="store_true",
        help="Also publish files that train.py did not write into the folder (refused otherwise, naming them).",
    )
    args = parser.parse_args(argv)
    try:
        url = push_folder(
            args.folder,
            args.repo_id,
            token=args.token,
            private=args.private or None,
            revision=args.revision,
            commit_message=args.commit_message,
            create_pr=args.create_pr,
            include_other_files=args.include_other_files,
        )
    except HubPushError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
