"""Real sign-in servers for the tests, started on loopback by fixtures: django-cas-server, the
npm oidc-provider and Debian's slapd (see servers.py)."""
