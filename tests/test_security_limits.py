"""Rate limits: per address and per account at sign-in, per reader for writes, behind a trusted proxy."""

from __future__ import annotations

import pytest

from core.models import Role
from core.testing import PASSWORD


def _login(client, email, password="wrong", address="192.0.2.1", **headers):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers).status_code


def test_sign_in_is_limited_per_account_whatever_the_address(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute",
                      LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    client = app.test_client()
    user = make_user()
    codes = [_login(client, user.email, address=f"192.0.2.{n}") for n in range(1, 5)]
    assert codes == [400, 400, 400, 429]
    # the same account in another letter case is the same account
    assert _login(client, user.email.upper(), address="192.0.2.99") == 429
    # another account is not affected
    assert _login(client, "someone.else@uni.edu", address="192.0.2.1") == 400


def test_successful_sign_ins_do_not_use_up_the_accounts_allowance(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute",
                      LOGIN_ACCOUNT_RATE_LIMIT="2 per minute")
    user = make_user()
    for _ in range(4):
        client = app.test_client()
        assert _login(client, user.email, PASSWORD) == 302


def test_sign_in_is_limited_per_address(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [_login(client, f"reader{n}@uni.edu") for n in range(4)]
    assert codes == [400, 400, 400, 429]
    assert _login(client, "reader9@uni.edu", address="192.0.2.200") == 400


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    # without TRUSTED_PROXIES a client cannot dodge the limit by inventing addresses
    codes = [_login(client, f"r{n}@uni.edu", **{"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(3)]
    assert codes == [400, 400, 429]
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1,
                      RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    # behind one proxy (all requests come from it), each client counts on its own
    codes = [_login(client, f"r{n}@uni.edu", address="10.0.0.1", **{"X-Forwarded-For": f"203.0.113.{n % 2}"})
             for n in range(4)]
    assert codes == [400, 400, 400, 400]
    assert _login(client, "x@uni.edu", address="10.0.0.1", **{"X-Forwarded-For": "203.0.113.0"}) == 429
    # only the right-most address (the one the trusted proxy saw) counts: a forged left part changes nothing
    assert _login(client, "x@uni.edu", address="10.0.0.1",
                  **{"X-Forwarded-For": "198.51.100.1, 203.0.113.0"}) == 429


@pytest.mark.parametrize("bad", [-1, "two"])
def test_a_bad_trusted_proxies_setting_stops_the_app(app_factory, bad):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        app_factory(TRUSTED_PROXIES=bad)


def test_writes_without_a_declared_limit_get_the_default_per_reader(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True, WRITE_RATE_LIMIT="2 per minute")
    one, two = make_user(), make_user()
    first, second = app.test_client(), app.test_client()
    first.post("/auth/login", data={"email": one.email, "password": PASSWORD})
    second.post("/auth/login", data={"email": two.email, "password": PASSWORD})
    codes = [first.post("/language", data={"locale": "en"}, environ_base={"REMOTE_ADDR": "192.0.2.5"}).status_code
             for _ in range(3)]
    assert codes == [302, 302, 429]
    # another reader behind the same address (a campus NAT) still gets through
    assert second.post("/language", data={"locale": "en"}, environ_base={"REMOTE_ADDR": "192.0.2.5"}).status_code == 302
    assert first.get("/me").status_code == 200  # reading is never limited


def test_every_write_endpoint_has_a_limit(app_factory, make_user):
    """With every limit at one a minute, a second POST to each route is refused: none is unlimited
    (declared by core, by a plugin's engage_rate_limits, or WRITE_RATE_LIMIT for the rest)."""
    from werkzeug.routing import AnyConverter, IntegerConverter

    probe = app_factory()
    declared = {}
    for limits in probe.extensions["engage.plugins"].pm.hook.engage_rate_limits():
        declared.update(limits or {})
    assert {"brand_stories.vote", "brand_stories.rank", "brand_stories.submit_design", "contributions.submit",
            "contributions.like", "feedback.new", "feedback.me_too", "staff_scores.kudos"} <= set(declared)
    one = "1 per minute"
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", WRITE_RATE_LIMIT=one,
                      LOGIN_RATE_LIMIT=one, LOGIN_ACCOUNT_RATE_LIMIT=one, REGISTER_RATE_LIMIT=one,
                      PASSWORD_RATE_LIMIT=one, UPLOAD_RATE_LIMIT=one, RESET_RATE_LIMIT=one, ACCOUNT_RATE_LIMIT=one,
                      RATE_LIMITS={endpoint: one for endpoint in declared})
    admin = make_user(Role.admin)
    unlimited = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("auth.logout",):
            continue
        values = {}
        for name, converter in rule._converters.items():
            values[name] = sorted(converter.items)[0] if isinstance(converter, AnyConverter) else \
                (999999 if isinstance(converter, IntegerConverter) else "x")
        path = rule.build(values, append_unknown=False)[1]
        client = app.test_client()
        client.post("/auth/login", data={"email": admin.email, "password": PASSWORD},
                    environ_base={"REMOTE_ADDR": f"192.0.2.{len(unlimited) + 10}"})
        codes = [client.post(path, data={}).status_code for _ in range(2)]
        if codes[-1] != 429:
            unlimited.append(f"{rule.endpoint} {path}: {codes}")
    assert not unlimited, "\n".join(unlimited)
    assert app.test_client().post("/auth/logout").status_code == 302


def test_a_plugins_declared_limit_holds(app_factory, make_user):
    from plugins.brand_stories import plugin as stories

    assert stories.engage_rate_limits()["brand_stories.submit_design"] == "10 per hour"
    app = app_factory(RATELIMIT_ENABLED=True, RATE_LIMITS={"brand_stories.submit_design": "2 per hour"})
    reader = make_user()
    client = app.test_client()
    client.post("/auth/login", data={"email": reader.email, "password": PASSWORD})
    codes = [client.post("/stories/contests/999/designs", data={}).status_code for _ in range(3)]
    assert codes[-1] == 429 and 429 not in codes[:2]


def test_the_too_many_attempts_page_is_translated(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    _login(client, "a@uni.edu")
    response = client.post("/auth/login", data={"email": "a@uni.edu", "password": "x"},
                           environ_base={"REMOTE_ADDR": "192.0.2.1"}, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 429
    page = response.data.decode()
    assert 'lang="zh-Hans"' in page and "Too many attempts" not in page and "尝试" in page


def test_a_plugin_may_only_limit_its_own_endpoints(app_factory):
    import types

    from core.hookspecs import hookimpl

    rogue = types.ModuleType("rogue")
    rogue.NAME, rogue.VERSION, rogue.__file__ = "rogue", "1.0", __file__
    rogue.TITLE = rogue.DESCRIPTION = {"en": "Rogue", "zh_Hans": "Rogue"}
    rogue.engage_rate_limits = hookimpl(lambda: {"auth.login": "1000 per second"})
    with pytest.raises(ValueError, match="not one of its own endpoints"):
        app_factory(plugins=(rogue,))


def test_staff_pages_are_limited_too(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True, WRITE_RATE_LIMIT="1 per minute")
    admin = make_user(Role.admin)
    client = app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    assert client.post("/admin/plugins/feedback", data={"enabled": "1"}).status_code == 302
    assert client.post("/admin/plugins/feedback", data={"enabled": "1"}).status_code == 429
