"""The code in the README and the docs runs as written."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# hand-written pages; the generated ones (api.md, reference/) hold docstring
# examples, which test_docstring_examples runs as doctests
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "api.md")]


def python_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


BLOCKS = [(p, k, code) for p in DOCS for k, code in enumerate(python_blocks(p))
          if "class Hypot" not in code]   # writing-ops.md shows a fragment


@pytest.mark.parametrize("path,k,code", BLOCKS, ids=[f"{p.name}-{k}" for p, k, _ in BLOCKS])
def test_code_block_runs(path, k, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{path.name}[{k}]", "exec"), {"__name__": "__doc_example__"})


def test_readme_commands_are_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    assert commands == ['pip install -e . && python -m pixelpipes.demo',
                        'pip install -e ".[test]" && python -m pytest']
    for command in commands:                        # CI runs both, verbatim
        assert command in ci.splitlines()


def test_api_reference_is_up_to_date():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "docs" / "generate_api.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _public_modules():
    import pixelpipes
    from pixelpipes import image, ops

    return [pixelpipes.graph, pixelpipes.pipeline, pixelpipes.types, *image.MODULES,
            ops.core, ops.arithmetic, ops.logic, ops.random, ops.flow, ops.lists, ops.tensors]


@pytest.mark.parametrize("module", _public_modules(), ids=lambda m: m.__name__)
def test_docstring_examples(module, tmp_path, monkeypatch):
    import doctest

    import numpy as np

    import pixelpipes as pp

    monkeypatch.chdir(tmp_path)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, globs={"pp": pp, "np": np}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
