"""The README's quick start is the product's front door: two commands, and CI runs them."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|shell)\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the quick start holds exactly one shell block"
    return [line.strip() for line in blocks[0].splitlines() if line.strip()]


def test_quick_start_is_two_commands_run_then_test():
    commands = _quick_start_commands()
    assert commands == ["make demo", "make test"]


def test_ci_runs_the_readme_commands_in_order():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#") and not line.startswith(("set ", "cd "))]
    assert ci == _quick_start_commands()


def test_every_make_target_the_readme_names_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    named = set(re.findall(r"`make ([a-z-]+)", (ROOT / "README.md").read_text()))
    assert named <= targets, named - targets
