"""What the frontend refuses: the error class, the line it points at, and how it renders.

Each function in tests/programs/unsupported.py uses one construct outside the subset and
marks the offending line with `# ERR`; the expected line is read from the file's text.
"""

import inspect
import re

import numpy as np
import pytest

import s2sad
from s2sad import (
    BadArguments,
    NoRuleError,
    S2SADError,
    SourceUnavailable,
    TypeMismatch,
    UnsupportedSyntax,
)
from tests.programs import unsupported

SOURCE_FILE = inspect.getsourcefile(unsupported)
with open(SOURCE_FILE) as _fh:
    SOURCE_LINES = _fh.read().splitlines()

# function -> (error class, text the message must contain, text the caret must point at)
CASES = {
    "try_except":           (UnsupportedSyntax, "try/except",           "try"),
    "generator":            (UnsupportedSyntax, "yield",                "yield"),
    "attribute_write":      (UnsupportedSyntax, "attribute",            "CONFIG.scale"),
    "global_write":         (UnsupportedSyntax, "global",               "global"),
    "string_global":        (TypeMismatch,      "string",               "LABEL"),
    "string_method":        (UnsupportedSyntax, "string",               '"abc"'),
    "no_rule_math":         (NoRuleError,       "math.gamma",           "math.gamma(y)"),
    "no_rule_numpy":        (NoRuleError,       "sinc",                 "np.sinc(x)"),
    "no_rule_scipy":        (NoRuleError,       "gamma",                "scipy.special.gamma"),
    "uses_eval":            (UnsupportedSyntax, "eval",                 "eval("),
    "with_block":           (UnsupportedSyntax, "with",                 "with"),
    "inner_lambda":         (UnsupportedSyntax, "lambda",               "lambda"),
    "list_comprehension":   (UnsupportedSyntax, "list comprehension",   "[x * k"),
    "generator_expression": (UnsupportedSyntax, "generator expression", "x * k"),
    "nested_def":           (UnsupportedSyntax, "nested function",      "def inner"),
    "uses_print":           (UnsupportedSyntax, "print",                "print(y)"),
    "fstring":              (UnsupportedSyntax, "f-string",             'f"'),
    "dict_literal":         (TypeMismatch,      "dict keys",            "x: 1.0"),
    "list_literal":         (UnsupportedSyntax, "a list cannot be changed", "ys[0]"),
    "set_literal":          (UnsupportedSyntax, "set",                  "{x}"),
    "recursive":            (UnsupportedSyntax, "recursion",            "recursive("),
    "raises":               (UnsupportedSyntax, "raise",                "raise"),
    "asserts":              (UnsupportedSyntax, "assert",               "assert"),
    "deletes":              (UnsupportedSyntax, "del",                  "del y"),
    "local_import":         (UnsupportedSyntax, "import",               "import cmath"),
    "walrus":               (UnsupportedSyntax, ":=",                   "y :="),
    "match_statement":      (UnsupportedSyntax, "match",                "match"),
    "complex_literal":      (UnsupportedSyntax, "complex",              "1j"),
    "for_over_tuple":       (UnsupportedSyntax, "range",                "x * 2.0"),
    "star_args":            (UnsupportedSyntax, "*args",                "*xs"),
    "bitwise_not":          (UnsupportedSyntax, "bitwise",              "~n"),
    "undefined_name":       (S2SADError,        "undefined_thing",      "undefined_thing"),
    "no_return":            (UnsupportedSyntax, "return",               "def no_return"),
    "scalar_matmul":        (UnsupportedSyntax, "@",                    "x @ x"),
    "stale_view":           (UnsupportedSyntax, "view",                 "return np.sum(a)"),
}

def cases(check):
    """One pytest parameter per refused construct (`check` names the test kind)."""
    return [pytest.param(name, id=name) for name in CASES]


def marked_line(fn) -> int:
    """The line of `fn` in unsupported.py that carries the `# ERR` marker."""
    lines, first = inspect.getsourcelines(fn)
    hits = [first + i for i, text in enumerate(lines) if re.search(r"#\s*ERR\b", text)]
    assert len(hits) == 1, f"{fn.__name__} must mark exactly one line with # ERR"
    return hits[0]


ARGS = {"stale_view": (np.arange(4.0),)}  # default: one float


def refusal(name) -> S2SADError:
    fn = getattr(unsupported, name)
    with pytest.raises(S2SADError) as info:
        s2sad.grad(fn, target="python")(*ARGS.get(name, (1.0,)))
    return info.value


def test_every_program_is_covered():
    funcs = {n for n, f in vars(unsupported).items()
             if inspect.isfunction(f) and f.__module__ == unsupported.__name__}
    assert funcs == set(CASES)
    assert len(funcs) >= 12
    for n in funcs:
        marked_line(getattr(unsupported, n))


@pytest.mark.parametrize("name", cases("kind"))
def test_error_class_and_line(name):
    cls, _, token = CASES[name]
    err = refusal(name)
    assert type(err) is cls
    assert err.loc is not None
    assert err.loc.file == SOURCE_FILE
    assert err.loc.line == marked_line(getattr(unsupported, name))
    assert err.loc.text == SOURCE_LINES[err.loc.line - 1]
    assert err.loc.text[err.loc.col:].startswith(token)


@pytest.mark.parametrize("name", cases("message"))
def test_message_names_the_construct(name):
    _, what, _ = CASES[name]
    err = refusal(name)
    assert what in err.message


@pytest.mark.parametrize("name", cases("render"))
def test_error_renders_file_line_source_and_caret(name):
    line = marked_line(getattr(unsupported, name))
    text = str(refusal(name))
    lines = text.splitlines()
    assert f'File "{SOURCE_FILE}", line {line}' in text
    source = SOURCE_LINES[line - 1]
    i = lines.index(f"    {source}")
    caret = lines[i + 1]
    assert re.fullmatch(r" *\^~*", caret)
    # the caret sits under the construct's first character
    col = caret.index("^") - 4
    assert source[col] != " "


@pytest.mark.parametrize("name", cases("hint"))
def test_error_has_hint(name):
    err = refusal(name)
    assert err.hint
    assert f"  hint: {err.hint}" in str(err)


def test_one_line_summary():
    err = refusal("try_except")
    line = marked_line(unsupported.try_except)
    one = err.one_line()
    assert "\n" not in one
    assert one.startswith("UnsupportedSyntax: ")
    assert f"unsupported.py:{line}:" in one
    assert "try/except" in one


@pytest.mark.parametrize("mode", ["primal", "forward", "reverse", "grad"])
@pytest.mark.parametrize("name", ["try_except", "no_rule_math", "string_global", "with_block"])
def test_same_refusal_in_every_mode(mode, name):
    cls, _, _ = CASES[name]
    if name == "no_rule_math" and mode == "primal":
        # a rule-less math function is refused only where it is differentiated
        assert "math.gamma(" in s2sad.derivative_source(getattr(unsupported, name), mode=mode)
        return
    fn = getattr(unsupported, name)
    with pytest.raises(cls) as info:
        s2sad.derivative_source(fn, mode=mode)
    assert info.value.loc.line == marked_line(fn)


def test_refusals_are_raised_before_any_call_of_the_function():
    # the attribute write must not have happened: refusal is at compile time
    before = unsupported.CONFIG.scale
    with pytest.raises(UnsupportedSyntax):
        s2sad.grad(unsupported.attribute_write, target="python")(42.0)
    assert unsupported.CONFIG.scale == before
    assert unsupported.COUNTER == 0.0


def test_function_without_source():
    ns: dict = {}
    exec("def h(x):\n    return x * x\n", ns)
    with pytest.raises(SourceUnavailable) as info:
        s2sad.grad(ns["h"], target="python")(1.0)
    err = info.value
    assert "'h'" in err.message
    assert err.hint and "source" in err.hint
    assert "hint:" in str(err)
    with pytest.raises(SourceUnavailable):
        s2sad.derivative_source(ns["h"])


def test_builtin_without_source():
    import math

    with pytest.raises(S2SADError) as info:  # no source and no primitive
        s2sad.grad(math.gamma, target="python")(1.5)
    assert info.value.hint
    # a function with a primitive is differentiated directly, as jax.grad(jnp.abs) is
    assert s2sad.grad(abs, target="python")(-2.0) == -1.0


def test_bad_arguments_is_an_s2sad_error():
    assert issubclass(BadArguments, S2SADError)
    assert issubclass(TypeMismatch, TypeError)
