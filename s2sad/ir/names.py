"""Deterministic, readable names for IR values.

User names survive (`x1`, `vn`); a name assigned again gets `_1`, `_2`; temporaries are
`v1, v2, ...` in definition order, skipping names the user already uses; derivative
values are named after their primal (`x1_bar`, `vn_dot`).
"""

from __future__ import annotations

import keyword

from .nodes import For, Function, Var, While, walk

RESERVED = {"math", "np", "numpy", "_rt", "range", "len", "abs", "min", "max", "float", "int",
            "round", "True", "False", "None"} | set(keyword.kwlist)


class Namer:
    def __init__(self, fn: Function, extra: list[Var] = ()):
        self.names: dict[Var, str] = {}
        self.used: set[str] = set(RESERVED)
        order = list(fn.params) + list(extra)
        for s in walk(fn.body):
            if isinstance(s, For):
                order.append(s.ivar)
            if isinstance(s, (For, While)):
                order.extend(s.params)
            order.extend(s.results)
        # names the user wrote are reserved, so temporaries v1, v2 never take them
        self.user = {v.name for v in order if v.name and v.base is None}
        self._temp = 0
        # primal values are numbered first, so v1, v2 ... match the primal's Wengert list
        for v in order:
            if v.base is None and not v.deriv:
                self._assign(v)
        for v in order:
            if v.base is None:
                self._assign(v)
        for v in order:
            self._assign(v)

    def _assign(self, v: Var) -> str:
        if v in self.names:
            return self.names[v]
        if v.base is not None:
            stem = self._assign(v.base) + v.suffix
        elif v.name:
            stem = v.name
        else:
            while True:
                self._temp += 1
                stem = f"v{self._temp}"
                if stem not in self.user and stem not in self.used:
                    break
        name = stem
        k = 0
        while name in self.used:
            k += 1
            name = f"{stem}_{k}"
        self.used.add(name)
        self.names[v] = name
        return name

    def __getitem__(self, v: Var) -> str:
        return self._assign(v)
