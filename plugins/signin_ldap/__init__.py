"""The `signin_ldap` plugin: sign-in with a directory user name and password (LDAP bind)."""
