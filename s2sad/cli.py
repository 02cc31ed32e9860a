"""The command line: `s2sad show FILE.py:FUNC` prints a derivative's source or its IR.

Exit status: 0 on success, 2 for a bad command line (no such file, function or parameter),
1 when s2sad cannot differentiate the function (an S2SADError) or the file fails to import.
Every failure starts with one line on stderr, `s2sad: error: ...`; an S2SADError adds the
source line with a caret under the construct, and its hint.

Without --types the parameter types are read off the source (frontend.infer): an indexed
parameter is an array, a range() bound an int, the rest floats.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import re
import sys
from pathlib import Path

from . import __version__, api, pipeline
from .errors import BadArguments, NonDifferentiableOutput, S2SADError, TypeMismatch
from .frontend.infer import Guess, infer_types, spelling
from .frontend.resolve import unwrap
from .ir.printer import print_function
from .ir.types import BOOL, F32, F64, I64, ArrayT, Type, is_float
from .pipeline import STAGE_NAMES

MODES = ("reverse", "forward", "grad", "value_and_grad", "primal")
# the spellings s2sad.derivative_source accepts too
MODE_ALIASES = {"rev": "reverse", "adjoint": "reverse", "fwd": "forward", "tangent": "forward"}
STAGES = (*STAGE_NAMES, "passes")  # passes: after the last stage
TARGETS = ("python", "cpu")

EXAMPLES = """\
examples:
  s2sad show examples/wengert.py:f
        reverse-mode derivative (f_vjp) as Python source
  s2sad show examples/wengert.py:f --mode forward --wrt x1
        forward mode (f_jvp), tangent of x1 only
  s2sad show examples/wengert.py:f --ir --after lower
        the primal Wengert list: v1 = log(x1), v2 = x1 * x2, ...
  s2sad show examples/wengert.py:f --ir --after differentiate
        the adjoint IR before the clean-up passes
  s2sad show model.py:loss --types f64[:],f64[:,:],i64 --wrt w
        specialise to a vector, a matrix and an int; differentiate w.r.t. w
  s2sad show model.py:loss --target cpu
        also compile the generated source with Numba, to check that it builds

types: f64 f32 i64 bool (aliases float, int), arrays as f64[:], f64[:,:], i64[:], ...
"""


class UsageError(Exception):
    """A bad command line: reported like argparse does, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, like every other failure
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="s2sad",
        description="s2sad: source-to-source automatic differentiation for numerical Python.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"s2sad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    show = sub.add_parser(
        "show",
        help="print the derivative of FILE.py:FUNC as Python source or as IR",
        description="Print the derivative of a function as Python source (default) or as "
        "IR (--ir), without running it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("target_spec", metavar="FILE.py:FUNC",
                      help="the file to import and the function in it")
    show.add_argument("--mode", choices=MODES, default="reverse",
                      type=lambda m: MODE_ALIASES.get(m, m),
                      help="reverse (vjp, default; also rev, adjoint), forward (jvp; also fwd, "
                      "tangent), grad, value_and_grad, or primal (no derivative)")
    show.add_argument("--wrt", metavar="NAMES",
                      help="comma-separated parameter names to differentiate with respect to "
                      "(default: every float parameter)")
    show.add_argument("--types", metavar="TYPES",
                      help="comma-separated parameter types, e.g. f64,i64,f64[:] "
                      "(default: read off the source: an indexed parameter is an f64 array "
                      "of the rank its subscripts show, a range() bound an i64, the rest "
                      "f64)")
    show.add_argument("--ir", action="store_true",
                      help="print the IR (a Wengert list) instead of Python source")
    show.add_argument("--after", choices=STAGES,
                      help="with --ir: the stage to stop after (lower = the primal; default: "
                      "passes, the final derivative IR); implies --ir")
    show.add_argument("--typed", action="store_true",
                      help="with --ir: print the type of every value")
    show.add_argument("--target", choices=TARGETS,
                      help="also compile the generated source for this backend (python: exec, "
                      "cpu: numba.njit for the given types) to check that it builds")
    show.add_argument("--traceback", action="store_true",
                      help="on failure, print the full error (and Python traceback) instead of "
                      "one line")
    return parser


# ----------------------------------------------------------------------------- inputs
def load_function(spec: str):
    """Import FILE.py (its folder on sys.path) and return FUNC from it."""
    file, sep, func = spec.rpartition(":")
    if not sep or not file or not func:
        raise UsageError(f"expected FILE.py:FUNC, got {spec!r}")
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"no such file: {file}")
    module = _import_path(path)
    obj = module
    for part in func.split("."):
        if not hasattr(obj, part):
            defined = [n for n, v in vars(module).items()
                       if inspect.isfunction(v) and v.__module__ == module.__name__]
            raise UsageError(f"{file} has no function {func!r} (functions defined there: "
                             f"{', '.join(defined) or 'none'})")
        obj = getattr(obj, part)
    fn = unwrap(obj)
    for _ in range(8):  # @s2sad.grad, s2sad.vmap(...), jacfwd(...): the function inside
        if inspect.isfunction(fn):
            break
        inner = getattr(getattr(fn, "transform", None), "fun", None) or getattr(fn, "fun", None)
        if inner is None:
            break
        fn = unwrap(inner)
    if not inspect.isfunction(fn):
        raise UsageError(f"{file}:{func} is a {type(obj).__name__}, not a function")
    return fn


class ImportFailed(Exception):
    pass


def _import_path(path: Path):
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = path.stem
    existing = sys.modules.get(name)
    if existing is not None:
        if os.path.realpath(getattr(existing, "__file__", "") or "") == os.path.realpath(path):
            return existing
        name = "_s2sad_show_" + re.sub(r"\W", "_", str(path))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as e:
        del sys.modules[name]
        if isinstance(e, KeyboardInterrupt):
            raise
        raise ImportFailed(f"importing {path} failed: {type(e).__name__}: {e}") from e
    return module


_SCALARS = {"f64": F64, "float": F64, "float64": F64, "f32": F32, "float32": F32,
            "i64": I64, "int": I64, "int64": I64, "bool": BOOL}
_TYPE_RE = re.compile(r"\s*(\w+)\s*(?:\[([\s:,]*)\])?\s*")


def parse_types(text: str) -> tuple[Type, ...]:
    """`f64,i64,f64[:],f64[:,:]` -> (F64, I64, ArrayT(F64, 1), ArrayT(F64, 2))."""
    items, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out: list[Type] = []
    for item in items:
        m = _TYPE_RE.fullmatch(item)
        if not m or m.group(1) not in _SCALARS:
            raise UsageError(f"--types: cannot read {item.strip()!r}; use f64, f32, i64, bool, "
                             "or arrays such as f64[:] and f64[:,:]")
        scalar = _SCALARS[m.group(1)]
        if m.group(2) is None:
            out.append(scalar)
            continue
        dims = [d.strip() for d in m.group(2).split(",")]
        if not all(d == ":" for d in dims):
            raise UsageError(f"--types: cannot read {item.strip()!r}; write one ':' per "
                             "dimension, e.g. f64[:,:]")
        out.append(ArrayT(scalar, len(dims)))  # type: ignore[arg-type]
    return tuple(out)


def parameter_names(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


def resolve_wrt(names: list[str], types: tuple[Type, ...], wrt: str | None,
                mode: str) -> tuple[int, ...]:
    if wrt is None:
        nums = tuple(i for i, t in enumerate(types) if is_float(t))
        if not nums and mode != "primal":
            raise UsageError("the function has no float parameters to differentiate; "
                             "pass --types")
        return nums
    nums: list[int] = []
    for w in (w.strip() for w in wrt.split(",")):
        if w not in names:
            raise UsageError(f"--wrt: {w!r} is not a parameter of the function "
                             f"(parameters: {', '.join(names) or 'none'})")
        i = names.index(w)
        if not is_float(types[i]):
            raise UsageError(f"--wrt: parameter {w!r} has type {types[i]}; only float "
                             "parameters can be differentiated")
        if i not in nums:
            nums.append(i)
    return tuple(nums)


# ----------------------------------------------------------------------------- show
def show(args) -> str:
    fn = load_function(args.target_spec)
    names = parameter_names(fn)
    guesses = None
    if args.types:
        types = parse_types(args.types)
    else:
        inferred = {g.name: g for g in infer_types(fn)}
        guesses = [inferred.get(n) or Guess(n, F64, True, "not read") for n in names]
        types = tuple(g.type for g in guesses)
    if len(types) != len(names):
        raise UsageError(f"--types gives {len(types)} type(s), but {fn.__name__} has "
                         f"{len(names)} parameter(s): {', '.join(names)}")
    wrt = resolve_wrt(names, types, args.wrt, args.mode)
    req = pipeline.Request(args.mode, wrt, types, single=len(wrt) == 1)
    try:
        if args.ir or args.after:
            ir = pipeline.derive(fn, req,
                                 stop_after=None if args.after == "passes" else args.after)
            text = print_function(ir, types=args.typed)
        else:
            text = pipeline.source(fn, req)
        if args.target:
            _compile(fn, req, args.target)
    except S2SADError as e:
        typed = isinstance(e, (TypeMismatch, BadArguments, NonDifferentiableOutput))
        if guesses is None:  # --types given: say what the source suggests, if different
            if not typed:
                raise
            inferred = infer_types(fn)
            if tuple(g.type for g in inferred) == types:
                raise
            raise _with_types_hint(e, inferred, given=True) from e
        if not (typed or any(not g.sure for g in guesses)):
            raise
        raise _with_types_hint(e, guesses) from e
    unsure = [g for g in guesses or () if not g.sure]
    if unsure:
        print(f"s2sad: note: {_guessed(guesses, unsure)}", file=sys.stderr)
    return text if text.endswith("\n") else text + "\n"


def _guessed(guesses, named) -> str:
    """What was inferred, and the --types that says it explicitly."""
    which = "; ".join(f"{g.name} is {spelling(g.type)} ({g.why})" for g in named)
    return (f"without --types, s2sad inferred from the source: {which}; if that is wrong, "
            f"pass --types {','.join(spelling(g.type) for g in guesses)} with the right types")


def _with_types_hint(e: S2SADError, guesses, given: bool = False) -> S2SADError:
    """The error, its hint extended by the parameter types read off the source."""
    unsure = [g for g in guesses if not g.sure] or \
        [g for g in guesses if g.type != F64] or list(guesses)
    if given:
        which = "; ".join(f"{g.name} is {spelling(g.type)} ({g.why})" for g in unsure)
        extra = (f"check --types: the source suggests --types "
                 f"{','.join(spelling(g.type) for g in guesses)} ({which})")
    else:
        extra = _guessed(guesses, unsure)
    hint = f"{e.hint}; {extra}" if e.hint else extra
    try:
        out = type(e)(e.message, e.loc, hint)
    except TypeError:  # a subclass with another constructor: keep it as it is
        return e
    return out


def _compile(fn, req, target: str) -> None:
    """Build the generated source with a backend, so `show` reports what would fail."""
    c = api.compiled(fn, req, target)
    if c.backend == "numba":  # (the NumPy backend and target python compile nothing)
        sig = tuple(_numba_type(p.type) for p in c.ir.params)
        c.dispatcher().compile(sig)
    print(f"s2sad: {c.ir.name} builds for target {target}", file=sys.stderr)


def _numba_type(t: Type):
    import numba

    scalar = {F64: numba.float64, F32: numba.float32, I64: numba.int64, BOOL: numba.boolean}
    if isinstance(t, ArrayT):
        return numba.types.Array(scalar[t.dtype], t.ndim, "A")
    return scalar[t]


# ----------------------------------------------------------------------------- main
def _fail(message: str) -> None:
    print(f"s2sad: error: {' '.join(message.split())}", file=sys.stderr)


def _fail_at(e: S2SADError) -> None:
    """The one-line error, then the source line with its caret, then the hint."""
    _fail(e.one_line())
    lines = []
    if e.loc is not None and e.loc.text:
        lines += e.loc.render().splitlines()[1:]  # the line and the caret (not "File ...")
    if e.hint:
        lines.append(f"  hint: {' '.join(e.hint.split())}")
    for line in lines:
        print(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1 or 2)."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        _fail(str(e))
        return 2
    except SystemExit as e:  # --help, --version
        return e.code if isinstance(e.code, int) else 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        out = show(args)
    except UsageError as e:
        _fail(str(e))
        return 2
    except ImportFailed as e:
        if args.traceback:
            raise
        _fail(str(e))
        return 1
    except S2SADError as e:
        if args.traceback:
            print(f"{type(e).__module__}.{type(e).__name__}: {e}", file=sys.stderr)
        else:
            _fail_at(e)
        return 1
    except Exception as e:
        if args.traceback:
            raise
        _fail(f"internal error: {type(e).__name__}: {e} (rerun with --traceback and please "
              "report it)")
        return 1
    sys.stdout.write(out)
    return 0
