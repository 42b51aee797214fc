"""The report benchmark: rendering (bench/render.py) and storage uploads (bench/storage.py).

    .venv/bin/python bench/reports.py

Runs both parts with their defaults, each in a process of its own (each part's project/baseline
pairs run side by side in that one process):

1. time and peak memory to render the PDF and the Excel for one company and for the 20-company
   demo portfolio;
2. an upload of 100 MB through each storage adapter against the raw client on the same peer
   (ratio, target >= 0.8).

Each part takes its own options when run alone (``bench/render.py --help``, ``bench/storage.py --help``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    for part in ("render.py", "storage.py"):
        print(f"\n== bench/{part}", flush=True)
        subprocess.run([sys.executable, str(HERE / part)], check=True)


if __name__ == "__main__":
    main()
