"""Built-in activity plugins. Each folder could be a pip package of its own."""
