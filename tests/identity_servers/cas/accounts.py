"""The test CAS server's people: user name -> (password, released attributes)."""

from cas_server.auth import AuthUser

USERS = {
    "alice": ("alice-pw", {"displayName": "Alice Li", "mail": "alice@campus.edu", "employeeNumber": "S1001",
                           "ou": " School of   History", "eduPersonAffiliation": ["student", "member"]}),
    "carol": ("carol-pw", {"displayName": "Carol Zhang", "mail": "carol@campus.edu", "employeeNumber": "T2002",
                           "ou": "Library", "eduPersonAffiliation": ["staff"]}),
    "guest": ("guest-pw", {"displayName": "A Guest", "mail": "guest@campus.edu", "eduPersonAffiliation": ["affiliate"]}),
    "noattrs": ("noattrs-pw", {}),
    "bademail": ("bademail-pw", {"displayName": "Bad Email", "mail": "not an address"}),
    "张三": ("zhang-pw", {"displayName": "张三", "mail": "zhangsan@campus.edu", "employeeNumber": "S3003",
                         "ou": "历史学院", "eduPersonAffiliation": ["student"]}),
}


class TestUsers(AuthUser):
    """Password check and attributes from USERS."""

    def test_password(self, password):
        return self.username in USERS and USERS[self.username][0] == password

    def attributs(self):
        return USERS.get(self.username, (None, {}))[1]
