"""Write docs/api.md from the numpydoc docstrings of the public API.

    python docs/generate_api.py          # rewrite docs/api.md
    python docs/generate_api.py --check  # exit 1 if docs/api.md is stale
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from pathlib import Path

import pixelpipes as pp
from pixelpipes import graph, image, ops, parallel, pipeline, errors, types

OUT = Path(__file__).with_name("api.md")

SECTIONS = [
    ("Building graphs", graph, ["Graph", "Node", "Constant", "Variable", "Macro", "Output",
                                "as_node", "compile"]),
    ("Pipelines", pipeline, ["Pipeline", "Batch", "load"]),
    ("Parallelism and build", parallel, ["effective_n_threads", "build_info"]),
    ("Errors", errors, ["PixelPipesError", "GraphError", "ExecutionError", "ProgramFileError"]),
    ("Types", types, ["Tensor", "String", "List", "as_dtype", "result_dtype",
                      "broadcast_shapes", "join"]),
]


def render_doc(doc: str) -> str:
    doc = inspect.cleandoc(doc or "(undocumented)")
    # numpydoc section headers -> bold labels
    doc = re.sub(r"^(\w[\w ]*)\n-{3,}$", r"**\1**", doc, flags=re.M)
    lines, out, in_example = doc.splitlines(), [], False
    for line in lines:
        if line.startswith(">>>") and not in_example:
            out.append("```python")
            in_example = True
        elif in_example and not (line.startswith(">>>") or line.startswith("...")):
            out.append("```")
            in_example = False
        out.append(line)
    if in_example:
        out.append("```")
    return "\n".join(out)


def signature(obj) -> str:
    try:
        target = obj.__init__ if inspect.isclass(obj) else obj
        sig = inspect.signature(target)
        params = [p for p in sig.parameters.values() if p.name != "self"]
        return "(" + ", ".join(str(p) for p in params) + ")"
    except (TypeError, ValueError):
        return "(...)"


def entry(name, obj) -> str:
    kind = "class" if inspect.isclass(obj) else "function"
    head = f"### `pp.{name}{signature(obj)}`\n\n*{kind}*"
    return head + "\n\n" + render_doc(obj.__doc__) + "\n"


def generate() -> str:
    parts = ["# API reference\n",
             "Generated from the docstrings by `python docs/generate_api.py`; "
             "every name is available as `pixelpipes.<name>` (`import pixelpipes as pp`).\n"]
    for title, module, names in SECTIONS:
        parts.append(f"## {title}\n")
        for name in names:
            parts.append(entry(name, getattr(module, name)))
    for module in (ops.core, ops.arithmetic, ops.logic, ops.random, ops.flow, ops.lists,
                   ops.tensors) + image.MODULES:
        title = (module.__doc__ or module.__name__).strip().splitlines()[0]
        short = module.__name__.split(".", 1)[-1]
        parts.append(f"## {short}\n\n{title}\n")
        for name in module.__all__:
            parts.append(entry(name, getattr(module, name)))
    text = "\n".join(parts)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print("docs/api.md is stale: run python docs/generate_api.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
