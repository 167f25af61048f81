"""A plugin whose only revision fails half-way (tests/test_migrations_upgrade.py): its branch is
found by convention in ``migrations/versions`` beside this module, as an installed plugin's is."""

NAME = "doomed"
VERSION = "1.0"
TITLE = {"en": "Doomed", "zh_Hans": "注定失败"}
DESCRIPTION = {"en": "A revision that fails half-way.", "zh_Hans": "中途失败的迁移。"}
