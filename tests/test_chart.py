"""`racecal plan chart` draws real images: a PNG of the right size with the phase colours in
it, an SVG that parses and names the races; a wrong file name is one line and exit 2."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from service.cli.main import main
from service.views.page import PHASE_COLOURS
from tests.support import example_workspace

TODAY = "2027-01-11"  # 15 weeks before the example's A race


def chart(tmp_path: Path, out: str, *extra: str) -> tuple[int, str]:
    config = example_workspace(tmp_path / "ws")
    result = CliRunner().invoke(
        main,
        ["plan", "chart", "--config", str(config), "--today", TODAY, "--out", out, *extra],
    )
    return result.exit_code, result.output


def test_png_has_its_size_and_every_phase_colour(tmp_path: Path) -> None:
    out = tmp_path / "plan.png"
    code, output = chart(tmp_path, str(out))
    assert code == 0, output
    image = Image.open(out).convert("RGB")
    assert image.size == (800, 600)
    data = image.tobytes()
    histogram = Counter(data[i : i + 3] for i in range(0, len(data), 3))
    assert len(histogram) > 50  # not blank
    counts: dict[str, int] = {}
    for phase in ("base", "strength", "race-specific", "taper", "recovery"):
        rgb = bytes(int(PHASE_COLOURS[phase][i : i + 2], 16) for i in (1, 3, 5))
        counts[phase] = histogram[rgb]
    assert all(n > 300 for n in counts.values()), counts


def test_svg_parses_and_marks_the_races(tmp_path: Path) -> None:
    out = tmp_path / "plan.svg"
    code, output = chart(tmp_path, str(out), "--weeks", "20")
    assert code == 0, output
    text = out.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert root.tag.endswith("svg")
    for race in ("Hamburg Marathon", "Berliner Halbmarathon", "Parkrun 5K"):
        assert race in text


def test_a_wrong_file_name_is_one_line(tmp_path: Path) -> None:
    code, output = chart(tmp_path, str(tmp_path / "plan.jpg"))
    assert code == 2
    assert output.strip().endswith("plan.jpg: expected a .png or .svg file name")
    assert len(output.strip().splitlines()) == 1
