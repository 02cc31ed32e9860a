"""Primal IR -> derivative IR (tangent, adjoint)."""
