from core.models import Role


def test_home_page_renders_for_anonymous_visitor(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Create an account" in response.data


def test_signed_in_student_sees_points(client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    response = client.get("/")
    assert b"All-time points" in response.data


def test_admin_pages_render(client, auth, make_user):
    admin = make_user(Role.admin)
    auth.login(admin.email)
    for path in ["/admin/", "/admin/users", f"/admin/users/{admin.id}", "/admin/terms", "/admin/audit", "/me"]:
        assert client.get(path).status_code == 200, path
