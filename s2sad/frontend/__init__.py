"""Python source -> IR (libcst parsing, name resolution, SSA lowering)."""
