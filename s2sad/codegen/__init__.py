"""IR -> Python source."""
