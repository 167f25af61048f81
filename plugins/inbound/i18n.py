"""This plugin's words: its own Babel domain (its translations folder), so its catalogue never
changes core's words or another plugin's. Its templates are bound to the same domain by core."""

from core.i18n import N_, plugin_domain  # noqa: F401  (N_ marks stored English for this catalogue)

domain = plugin_domain(__file__)
gettext = _ = domain.gettext
ngettext = domain.ngettext
lazy_gettext = _l = domain.lazy_gettext
