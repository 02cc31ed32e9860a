"""Functions s2sad must refuse, one construct each.

Every function takes one float and has exactly one line marked `# ERR`: the line the
error must point at. tests/frontend/test_subset_errors.py finds the marker in this file's
text, so lines can move freely. Lines marked `# ERR` must be unique per function.
"""

import math
from types import SimpleNamespace

import numpy as np
import scipy.special

LABEL = "loss"
COUNTER = 0.0
CONFIG = SimpleNamespace(scale=1.0)


def try_except(x):
    y = x * 2.0
    try:  # ERR
        y = math.log(x)
    except ValueError:
        y = 0.0
    return y


def generator(x):
    yield x * x  # ERR


def attribute_write(x):
    CONFIG.scale = x  # ERR
    return x * x


def global_write(x):
    global COUNTER  # ERR
    COUNTER = x
    return x * x


def string_global(x):
    y = x * 2.0
    return LABEL * y  # ERR


def string_method(x):
    name = "abc".upper()  # ERR
    return x * len(name)


def no_rule_math(x):
    y = x + 1.0
    return math.gamma(y)  # ERR


def no_rule_numpy(x):
    return np.sinc(x)  # ERR


def uses_eval(x):
    return eval("x * x")  # ERR


def with_block(x):
    with open("data.txt") as fh:  # ERR
        fh.read()
    return x


def inner_lambda(x):
    sq = lambda t: t * t  # ERR
    return sq(x)


def list_comprehension(x):
    ys = [x * k for k in range(3)]  # ERR
    return ys[0]


def generator_expression(x):
    return sum(x * k for k in range(3))  # ERR


def nested_def(x):
    def inner(t):  # ERR
        return t * t

    return inner(x)


def uses_print(x):
    y = x * x
    print(y)  # ERR
    return y


def fstring(x):
    msg = f"x = {x}"  # ERR  # noqa: F841
    return x


def dict_literal(x):
    d = {x: 1.0}  # ERR
    return d[x]


def list_literal(x):
    ys = [x, x]
    ys[0] = 2.0 * x  # ERR
    return ys[0]


def recursive(x):
    if x < 1.0:
        return 1.0
    return x * recursive(x - 1.0)  # ERR


def raises(x):
    if x < 0.0:
        raise ValueError  # ERR
    return x


def asserts(x):
    assert x > 0.0  # ERR
    return x


def deletes(x):
    y = x * x
    del y  # ERR
    return x


def local_import(x):
    import cmath  # ERR

    return x * cmath.pi


def walrus(x):
    return (y := x * x) + y  # ERR


def match_statement(x):
    match x:  # ERR
        case 0.0:
            return 0.0
        case _:
            return x


def complex_literal(x):
    return x * 1j  # ERR


def for_over_tuple(x):
    s = 0.0
    for v in x * 2.0:  # ERR
        s = s + v
    return s


def star_args(*xs):  # ERR
    return xs[0]


def bitwise_not(x):
    n = 3
    return x * ~n  # ERR


def undefined_name(x):
    return x * undefined_thing  # ERR  # noqa: F821


def no_return(x):  # ERR
    y = x * x  # noqa: F841


def set_literal(x):
    s = {x}  # ERR
    return s


def no_rule_scipy(x):
    return scipy.special.gamma(x)  # ERR


def scalar_matmul(x):
    return x @ x  # ERR


def stale_view(x):
    y = x * 1.0
    a = y[1:3]
    y[1] = 5.0
    return np.sum(a)  # ERR
