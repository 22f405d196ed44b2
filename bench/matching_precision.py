"""Precision of the report matching on the hand-written paraphrases of the demo rumours
(tests/paraphrases.py): how often the best suggestion is the right rumour, overall and
per language. Reads the seeds directly; no database.

    .venv/bin/python bench/matching_precision.py
"""

import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from paraphrases import PARAPHRASES  # noqa: E402

from rumours.rules.matching import rank, wordings  # noqa: E402


def demo_candidates() -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """Every demo rumour's wordings from seeds/ (claim, ca and es claims, also heard as)."""
    base = yaml.safe_load((ROOT / "seeds/rumours.yaml").read_text(encoding="utf-8"))
    rows = base if isinstance(base, list) else base["rumours"]
    translated = defaultdict(list)
    for language in ("ca", "es"):
        text = (ROOT / f"seeds/rumours.{language}.yaml").read_text(encoding="utf-8")
        for row in yaml.safe_load(text):
            translated[row["slug"]].append(row["claim"])
    ids = {row["slug"]: i for i, row in enumerate(rows, start=1)}
    candidates = [
        (
            ids[row["slug"]],
            wordings(row["claim"], translated[row["slug"]], row.get("also_heard_as")),
        )
        for row in rows
    ]
    return ids, candidates


def precision() -> tuple[float, dict[str, tuple[int, int]], list[str]]:
    """(overall top-1 precision, {language: (right, total)}, the misses as text)."""
    ids, candidates = demo_candidates()
    slugs = {i: s for s, i in ids.items()}
    per_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for language, text, expected in PARAPHRASES:
        best = rank(text, candidates, limit=1)
        got = slugs[best[0].rumour_id] if best else None
        per_language[language][1] += 1
        if got == expected:
            per_language[language][0] += 1
        else:
            misses.append(f"{language}: {text!r} -> {got} (expected {expected})")
    right = sum(r for r, _ in per_language.values())
    total = sum(t for _, t in per_language.values())
    return right / total, {k: tuple(v) for k, v in per_language.items()}, misses


if __name__ == "__main__":
    overall, languages, missed = precision()
    for language, (right, total) in sorted(languages.items()):
        print(f"{language}: {right}/{total} = {right / total:.3f}")
    print(f"all: {overall:.3f} on {len(PARAPHRASES)} paraphrases")
    for line in missed:
        print("miss", line)
