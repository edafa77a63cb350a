"""Resolve a merge conflict in a .po catalog: the union of both sides' messages, sorted by key.

Usage (during a conflicted merge): .venv/bin/python tools/merge_po.py samenhier/locales/nl/LC_MESSAGES/messages.po [...]
Where both sides translate the same key differently, 'ours' wins and the key is printed.
"""

import io
import subprocess
import sys

from babel.messages.pofile import read_po, write_po


def side(path: str, stage: int):
    text = subprocess.run(["git", "show", f":{stage}:{path}"], capture_output=True, check=True).stdout
    return read_po(io.BytesIO(text))


def main(paths: list[str]) -> int:
    for path in paths:
        ours, theirs = side(path, 2), side(path, 3)
        for message in theirs:
            if not message.id:
                continue
            mine = ours.get(message.id)
            if mine is None:
                ours.add(message.id, message.string)
            elif mine.string != message.string:
                print(f"{path}: {message.id!r} differs; kept ours")
        ours.fuzzy = False
        with open(path, "wb") as f:
            write_po(f, ours, sort_output=True, width=0)
        subprocess.run(["git", "add", path], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
