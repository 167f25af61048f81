"""The `signin_oidc` plugin: sign-in through an OpenID Connect provider."""
