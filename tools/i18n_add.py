"""Add or update messages in both catalogs, keeping them sorted by key (fewer merge conflicts).

Usage: .venv/bin/python tools/i18n_add.py KEY "Nederlandse tekst" "English text" [KEY NL EN ...]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from babel.messages.pofile import read_po, write_po  # noqa: E402

from samenhier.i18n import LANGUAGES, catalog_path  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) % 3 or not argv:
        print(__doc__)
        return 2
    triples = [argv[i : i + 3] for i in range(0, len(argv), 3)]
    for index, lang in enumerate(LANGUAGES):
        path = catalog_path(lang)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=lang, project="samenhier")
        catalog.fuzzy = False
        for key, *texts in triples:
            if key in catalog:  # Catalog.add keeps an existing message's text: replace it
                catalog.delete(key)
            catalog.add(key, texts[index])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, sort_output=True, width=0, omit_header=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
