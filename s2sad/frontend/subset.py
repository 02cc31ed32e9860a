"""What the frontend refuses, and the hint it gives for each construct."""

from __future__ import annotations

import libcst as cst

# statement or expression node type -> (what it is, what to do instead)
REFUSED: dict[type, tuple[str, str]] = {
    cst.Try: ("try/except cannot be differentiated",
              "move the try/except outside the function you differentiate"),
    cst.With: ("`with` blocks cannot be differentiated",
               "move the context manager outside the function you differentiate"),
    cst.Raise: ("`raise` cannot be differentiated",
                "validate inputs before calling the differentiated function"),
    cst.Global: ("`global` declarations cannot be differentiated",
                 "pass the value in as an argument and return the new value"),
    cst.Nonlocal: ("`nonlocal` declarations cannot be differentiated",
                   "pass the value in as an argument and return the new value"),
    cst.Del: ("`del` cannot be differentiated", "remove the `del`"),
    cst.Import: ("imports inside a differentiated function are not supported",
                 "import at module level"),
    cst.ImportFrom: ("imports inside a differentiated function are not supported",
                     "import at module level"),
    cst.ClassDef: ("class definitions inside a differentiated function are not supported",
                   "define the class at module level and pass plain numbers/arrays in"),
    cst.FunctionDef: ("nested function definitions are not supported",
                      "define the helper at module level; s2sad lowers it from its source"),
    cst.Yield: ("generators (`yield`) cannot be differentiated",
                "return the values (a tuple) instead of yielding them"),
    cst.Await: ("`await` cannot be differentiated", "differentiate a synchronous function"),
    cst.Lambda: ("lambdas inside a differentiated function are not supported",
                 "define a module-level helper function instead"),
    cst.ListComp: ("list comprehensions are not supported",
                   "write a for loop over range(n) that fills a NumPy array"),
    cst.GeneratorExp: ("generator expressions are not supported",
                       "write a for loop over range(n)"),
    cst.DictComp: ("dict comprehensions are not supported", "use arrays and loops"),
    cst.SetComp: ("set comprehensions are not supported", "use arrays and loops"),
    cst.Set: ("sets are not supported on the differentiated path", "use arrays"),
    cst.FormattedString: ("f-strings are not supported on the differentiated path",
                          "remove string formatting from the function you differentiate"),
    cst.ConcatenatedString: ("strings are not supported on the differentiated path",
                             "remove string operations from the function you differentiate"),
    cst.NamedExpr: ("the walrus operator `:=` is not supported", "assign on its own line"),
    cst.Assert: ("`assert` is not supported in a differentiated function",
                 "check inputs before calling the differentiated function"),
    cst.Match: ("`match` statements are not supported", "use if/elif/else"),
}

BANNED_CALLS = {
    "eval": "eval/exec run code s2sad cannot see; write the expression directly",
    "exec": "eval/exec run code s2sad cannot see; write the expression directly",
    "print": "printing has no derivative; remove the print (or print the result outside)",
    "input": "input() cannot be differentiated",
    "open": "file I/O cannot be differentiated; load data outside and pass arrays in",
    "setattr": "attribute mutation cannot be differentiated; return the new value instead",
    "getattr": "dynamic attribute access cannot be differentiated",
}
