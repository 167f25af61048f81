"""Benchmark: what an Open Badges 3.0 credential costs — canonicalising and signing it
(``core.openbadges3.credential.signed``: pyld's RDFC-1.0 twice, then Ed25519), checking it
(``proof.verify``; the checking page's whole check adds its guards), a whole download through the app (``/openbadges/v3/credentials/<id>``, signed
in as the holder), the baked PNG, and the revocation list with many withdrawn awards.

    python bench/openbadges3.py                    # SQLite in a temporary folder
    python bench/openbadges3.py --runs 50 --revoked 2000
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def timed(label: str, runs: int, work) -> None:
    work()  # warm-up: contexts parsed and cached, templates compiled
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(f"{label:<44} median {statistics.median(times):7.2f} ms   p90 {times[int(len(times) * 0.9) - 1]:7.2f} ms"
          f"   ({runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--revoked", type=int, default=1000, help="withdrawn awards in the revocation list")
    args = parser.parse_args()

    from sqlalchemy import select

    from core.accounts import create_user
    from core.badges import revoke
    from core.models import BadgeAward, Role
    from core.openbadges3 import contexts, credential, keys, proof
    from core.points import award
    from core.testing import PASSWORD, make_app

    folder = Path(tempfile.mkdtemp(prefix="engage-ob3-bench-"))
    app = make_app(f"sqlite:///{folder / 'engage.sqlite'}", folder, ISSUER_EMAIL="desk@library.edu")
    db = app.extensions["engage.db"]
    with app.app_context(), db.write_session() as session:
        admin = create_user(session, email="admin@library.edu", password=PASSWORD, display_name="Admin",
                            role=Role.admin)
        holder = create_user(session, email="holder@library.edu", password=PASSWORD, display_name="Holder")
        award(session, user_id=holder.id, amount=5, rule="read", plugin="core", idempotency_key="bench:holder")
        admin_id, holder_id = admin.id, holder.id
    hash_ = None
    for n in range(args.revoked):
        with app.app_context(), db.write_session() as session:
            if hash_ is None:
                user = create_user(session, email=f"r{n}@library.edu", password=PASSWORD, display_name=f"R{n}")
                hash_ = user.password_hash
            else:
                from core.models import User

                user = User(email=f"r{n}@library.edu", password_hash=hash_, display_name=f"R{n}")
                session.add(user)
                session.flush()
            award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key=f"bench:{n}")
            revoke(session, user_id=user.id, key="core:first-points", actor_id=admin_id, reason="bench")

    with app.test_request_context("/"), db.session() as session:
        row = session.execute(select(BadgeAward).where(BadgeAward.user_id == holder_id)).scalar_one()
        from core.badges import known_rule

        rule = known_rule(row.badge_key)
        signed = credential.signed(session, row, rule, "holder@library.edu")
        public = keys.public_key_from(credential.keyring().current)
        print(f"credential: {len(str(signed))} characters; revocation list: {args.revoked} withdrawn awards")
        timed("sign (canonicalise twice + Ed25519)", args.runs,
              lambda: credential.signed(session, row, rule, "holder@library.edu"))
        timed("verify (canonicalise twice + Ed25519)", args.runs,
              lambda: proof.verify(signed, public, contexts.document_loader))
        timed("revocation list document", args.runs, lambda: credential.revocation_list(session))
        from core.openbadges3 import checking

        text = json.dumps(signed).encode()
        timed("check a pasted credential (checking.check)", args.runs, lambda: checking.check(session, text))

    client = app.test_client()
    client.post("/auth/login", data={"email": "holder@library.edu", "password": PASSWORD})
    award_id = row.id

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, response.status_code

    timed("GET /openbadges/v3/credentials/<id>", args.runs, lambda: get(f"/openbadges/v3/credentials/{award_id}"))
    timed("GET /openbadges/v3/credentials/<id>/badge.png", args.runs,
          lambda: get(f"/openbadges/v3/credentials/{award_id}/badge.png"))
    timed("GET /openbadges/v3/revocations", args.runs, lambda: get("/openbadges/v3/revocations"))
    timed("GET /openbadges/v3/issuer", args.runs, lambda: get("/openbadges/v3/issuer"))
    db.dispose()


if __name__ == "__main__":
    main()
