"""The README's Python example runs as written (in a temporary directory)."""

import os
import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_python_example_runs(tmp_path, capsys):
    section = README.read_text().split("## Using the library from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert "version 1 with 2000 tracks" in out
    assert re.search(r"\d+ switches, return -?\d", out)
    assert "beam" in out
