"""The notes privacy check on long text: it must stay linear (issue 12: a 15 KB note
cost 0.4 s of CPU before it was refused). Prints milliseconds per shape and size, and the
ratio from 240 KB to 960 KB (about 4 when linear, about 16 when quadratic; small sizes
are too quick to compare on a shared machine).

    .venv/bin/python bench/notes_check.py
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rumours.rules.privacy import identifying_reasons  # noqa: E402

SHAPES = {
    "one long word": "x",
    "dots": "a.",
    "at signs": "a@",
    "digits and spaces": "1 ",
    "letters and digits": "1a",
    "after one @": None,
}


def text_of(shape: str, size: int) -> str:
    unit = SHAPES[shape]
    return "a@" + "a" * size if unit is None else unit * (size // len(unit))


def milliseconds(text: str, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        identifying_reasons(text)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    print(f"{'shape':<20} {'15 KB ms':>9} {'240 KB ms':>10} {'960 KB ms':>10} {'ratio':>6}")
    for shape in SHAPES:
        note, middle, large = (
            milliseconds(text_of(shape, size)) for size in (15_000, 240_000, 960_000)
        )
        print(f"{shape:<20} {note:9.2f} {middle:10.2f} {large:10.2f} {large / middle:6.1f}")


if __name__ == "__main__":
    main()
