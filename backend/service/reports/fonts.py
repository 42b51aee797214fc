"""The Japanese font of every report: IPAex Gothic, as the pip package ``matplotlib-fontja`` ships it
(never a system font, so each machine renders the same glyphs). Found through the package's location
without importing it: importing it would change matplotlib's global settings."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from backend.errors import Unavailable

FAMILY = "IPAexGothic"
PACKAGE, FILE = "matplotlib_fontja", "fonts/ipaexg.ttf"


@cache
def font_path() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / FILE
        if path.is_file():
            return path
    raise Unavailable(f"The report font is missing: install the package {PACKAGE.replace('_', '-')}.")
