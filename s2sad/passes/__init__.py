"""IR -> IR clean-ups run after differentiation: simplify, CSE, DCE."""
