"""The `signin_cas` plugin: sign-in through the campus CAS server (CAS 2.0/3.0)."""
