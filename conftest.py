"""The suite's fixtures live in core.testing, so plugin tests share them."""

pytest_plugins = ["core.testing"]
