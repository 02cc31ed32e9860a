"""Generated source -> callable (python, numba cpu)."""
