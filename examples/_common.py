"""What every example shares: its command line, how it prints numbers, where figures go.

Each example is a script with

    --help       what it shows and which document it follows
    --smoke      small problem sizes (the test suite runs every example this way)
    --no-plot    print the numbers, draw nothing
    --out DIR    the folder for its figures (PNG; default: the current folder)

Numbers are printed one to a line, s2sad's beside the reference it should equal:

    df/dx1 at (2, 5)                    s2sad  5.5                document 5.5

`document` is the number the seed document prints (as it prints it, so rounded);
`exact` an analytic formula; `fd` central finite differences. tests/test_examples.py
reads these lines. Figures are saved with the Agg backend, never shown: matplotlib is
optional (`pip install -e ".[examples]"`), and without it a script prints its numbers and
says how to get the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import sys
from collections.abc import Sequence
from pathlib import Path

EXTRA_HINT = 'figures: matplotlib is not installed; pip install -e ".[examples]" draws them'


def parse_args(doc: str | None, argv: Sequence[str] | None = None,
               plots: Sequence[str] = ()) -> argparse.Namespace:
    """The examples' command line; `doc` is the script's docstring, `plots` the files it
    saves (listed in --help)."""
    text = (doc or "").strip()
    title, _, rest = text.partition("\n\n")
    epilog = rest
    if plots:
        epilog += "\n\nfigures: " + ", ".join(plots) + " (in --out)"
    parser = argparse.ArgumentParser(
        prog=Path(sys.argv[0]).name, description=title, epilog=epilog or None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true",
                        help="small problem sizes, a few seconds (what the tests run)")
    parser.add_argument("--no-plot", action="store_true", help="print the numbers only")
    parser.add_argument("--out", metavar="DIR", default=".",
                        help="folder for the figures (default: the current folder)")
    return parser.parse_args(argv)


def pyplot(args: argparse.Namespace):
    """matplotlib.pyplot on the Agg backend, or None (--no-plot, or not installed)."""
    if args.no_plot:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(EXTRA_HINT)
        return None
    return plt


def save(fig, args: argparse.Namespace, name: str) -> Path:
    """Save `fig` as DIR/name (PNG) and close it."""
    import matplotlib.pyplot as plt

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"saved {path}")
    return path


def section(title: str) -> None:
    print()
    print(f"== {title}")


def _fmt(value) -> str:
    v = float(value)
    return repr(v) if v == int(v) and abs(v) < 1e15 else f"{v:.12g}"


def row(label: str, value, ref, kind: str = "document") -> None:
    """One number, s2sad's, beside the reference it should equal (kind: document, exact,
    fd). A document's number is given as the string it prints."""
    assert kind in ("document", "exact", "fd"), kind
    ref_text = ref if isinstance(ref, str) else _fmt(ref)
    print(f"{label:<42} s2sad {_fmt(value):>20}   {kind} {ref_text}")


def note(text: str) -> None:
    print(f"   {text}")


def show_ir(path: str, func: str, *flags: str) -> str:
    """What `s2sad show PATH:FUNC FLAGS` prints (e.g. "--ir", "--after", "lower")."""
    import s2sad.cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = s2sad.cli.main(["show", f"{path}:{func}", *flags])
    if status != 0:
        raise RuntimeError(f"s2sad show {path}:{func} {' '.join(flags)} exited {status}")
    return out.getvalue()


def evaluate_ir(text: str, inputs: dict[str, float]) -> dict[str, float]:
    """Run the IR listing of scalar code line by line: the IR is a Wengert list whose lines
    are Python expressions over math functions. Returns every value it defines."""
    env: dict = {name: getattr(math, name)
                 for name in ("log", "sin", "cos", "tan", "exp", "sqrt", "tanh", "cosh")}
    env.update(inputs)
    for line in text.splitlines():
        code = line.split("#")[0].strip()
        if not code or code.startswith(("def ", "return")):
            continue
        name, expr = (s.strip() for s in code.split("=", 1))
        env[name] = eval(expr, {"__builtins__": {}}, env)
    return {k: v for k, v in env.items() if isinstance(v, float)}
