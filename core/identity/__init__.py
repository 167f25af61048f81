"""Campus identity: who a person is and how they prove it.

Sign-in providers (``providers*``): the ``engage_sign_in_providers`` hook, local passwords as one
provider an administrator can switch off, identity links, attribute mapping and accounts made
just in time at a first sign-in.
"""
