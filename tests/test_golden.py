"""The seed programs' IR after each stage and their generated source are as reviewed
(tests/golden; `python -m tests.golden` rewrites them after an intended change)."""

import pytest

from tests.golden import HERE, PROGRAMS, render


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_golden_stages(name):
    for fname, text in render(name).items():
        want = (HERE / fname).read_text()
        assert text == want, f"tests/golden/{fname} changed: run `python -m tests.golden` " \
            "and review the diff"
