"""Every policy quote in resources/standards/sources.yaml is found verbatim in its document (../shared/seeds)."""

import re
from pathlib import Path

import pytest
import yaml

from gisplanner.standards import STANDARDS_DIR

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
REGISTRY = yaml.safe_load((STANDARDS_DIR / "sources.yaml").read_text(encoding="utf-8"))


def _flat(text: str) -> str:
    """Text without whitespace, half-width brackets as full-width: the seed copies break lines mid-sentence."""
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


@pytest.mark.parametrize("key", sorted(REGISTRY["quotes"]))
def test_quote_is_in_its_document(key):
    if not SEEDS.is_dir():
        pytest.skip(f"policy documents not found at {SEEDS} (../shared/seeds beside the checkout)")
    quote = REGISTRY["quotes"][key]
    assert quote["source"] in REGISTRY["sources"], key
    if not quote["source"].startswith("D"):
        pytest.skip(f"{quote['source']} is a standard, not one of the policy documents in ../shared/seeds")
    number = quote["source"].removeprefix("D")
    (document,) = SEEDS.glob(f"{number}_*.txt")
    assert _flat(quote["quote"]) in _flat(document.read_text(encoding="utf-8")), key
    assert quote["section"], key
