"""Facts about an IR function (activity); never rewrites it."""
