"""Who may do what: one entry per route of ``app.url_map`` (with every plugin installed) and method.

``ACCESS[(method, rule)]`` lists cases: a concrete path (and form) built from the objects of
tests/authz_world.py, and the outcome each role gets — ``OK`` (the page or action, 2xx or 3xx),
``LOGIN`` (sent to sign in), 403, 404, or another status when the person may act but the view
refuses this input (409: a reader liking their own work). tests/test_authz_matrix.py runs every
case as every role, with the plugins on and off (a switched-off plugin's routes answer 404 to
everyone), and fails on any route missing here. Names in braces are the world's objects; names
that start with ``new_`` are made fresh for the one request (an allowed action uses them up).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from authz_world import ADMIN, ANON, LIBRARIAN, OTHER, READER

OK, LOGIN = "ok", "login"
PNG = "<png>"  # a small PNG upload in a form
PASSWORD = "correct horse battery"


def who(anon=LOGIN, reader=OK, other=OK, librarian=OK, admin=OK) -> dict:
    return {ANON: anon, READER: reader, OTHER: other, LIBRARIAN: librarian, ADMIN: admin}


EVERYONE = who(anon=OK)
NOBODY = who(404, 404, 404, 404, 404)
SIGNED_IN = who()
STAFF = who(reader=403, other=403)
ADMINS = who(reader=403, other=403, librarian=403)
AUTHOR_ONLY = who(other=404, librarian=404, admin=404)  # the author's own pages and actions
AUTHOR_AND_STAFF = who(anon=404, other=404)  # hidden work: its author and librarians, else not found
STAFF_SEE = who(anon=404, reader=404, other=404)  # drafts and unpublished things: librarians only
KEY_ONLY = who(401, 401, 401, 401, 401)  # the API: an API key, never a session


@dataclass(frozen=True)
class Case:
    path: str
    roles: dict
    data: dict = field(default_factory=dict)
    signs_out: bool = False  # the request ends the client's session; sign in again after it


def get(path, roles):
    return Case(path, roles)


def post(path, roles, data=None, **kw):
    return Case(path, roles, data or {}, **kw)


# Shared POST forms.
TERM = {"key": "{new_term_key}", "name_en": "Matrix term", "name_zh": "矩阵学期", "starts_on": "{term_starts}",
        "ends_on": "{term_ends}"}  # the key first: making it picks dates no other term has
SCREEN = {"name": "Hall", "locale": "en", "seconds_per_slide": "15", "slides": "board:all"}

ACCESS: dict[tuple[str, str], list[Case]] = {
    # --- core: pages every user sees --------------------------------------------------------------
    ("GET", "/"): [get("/", EVERYONE)],
    ("GET", "/me"): [get("/me", SIGNED_IN)],
    ("POST", "/me"): [post("/me", SIGNED_IN, {"display_name": "Someone", "locale": "en"})],
    ("GET", "/me/history"): [get("/me/history", SIGNED_IN)],
    ("GET", "/me/password"): [get("/me/password", SIGNED_IN)],
    ("POST", "/me/password"): [post("/me/password", SIGNED_IN,
                                    {"current": PASSWORD, "password": PASSWORD, "confirm": PASSWORD})],
    ("GET", "/people/<int:user_id>"): [get("/people/{new_public_student}", EVERYONE),
                                       get("/people/{other_reader}", NOBODY),  # no public page chosen
                                       get("/people/{new_deactivated_public_student}", NOBODY)],
    ("POST", "/language"): [post("/language", EVERYONE, {"locale": "en"})],
    ("GET", "/menu"): [get("/menu", EVERYONE)],
    ("GET", "/vendor/htmx.min.js"): [get("/vendor/htmx.min.js", EVERYONE)],
    ("GET", "/static/<path:filename>"): [get("/static/engage.css", EVERYONE)],
    # --- sign-in ----------------------------------------------------------------------------------
    ("GET", "/auth/login"): [get("/auth/login", EVERYONE)],
    ("POST", "/auth/login"): [post("/auth/login", EVERYONE, {"email": "{new_student_email}", "password": PASSWORD})],
    ("GET", "/auth/register"): [get("/auth/register", EVERYONE)],
    ("POST", "/auth/register"): [  # a taken email gets the answer a new one gets
        post("/auth/register", EVERYONE, {"email": "{new_address}", "display_name": "Newcomer", "locale": "en",
                                          "password": PASSWORD, "confirm": PASSWORD}),
        post("/auth/register", EVERYONE, {"email": "reader@test.library", "display_name": "Impostor",
                                          "locale": "en", "password": PASSWORD, "confirm": PASSWORD})],
    ("POST", "/auth/logout"): [post("/auth/logout", EVERYONE, signs_out=True)],
    # --- administration ---------------------------------------------------------------------------
    ("GET", "/admin/"): [get("/admin/", STAFF)],
    ("GET", "/admin/audit"): [get("/admin/audit", STAFF)],
    ("GET", "/admin/jobs"): [get("/admin/jobs", ADMINS)],
    ("POST", "/admin/jobs/clear"): [post("/admin/jobs/clear", ADMINS)],
    ("GET", "/admin/levels"): [get("/admin/levels", ADMINS)],
    ("POST", "/admin/levels"): [post("/admin/levels", ADMINS | {ADMIN: 400})],  # empty table: refused
    ("POST", "/admin/plugins/<name>"): [post("/admin/plugins/feedback", ADMINS, {"enabled": "{plugins_on}", "confirmed": "1"})],
    ("GET", "/admin/terms"): [get("/admin/terms", ADMINS)],
    ("POST", "/admin/terms"): [post("/admin/terms", ADMINS, TERM)],
    ("GET", "/admin/terms/recount/<int:recount_id>"): [get("/admin/terms/recount/{new_recount}", ADMINS),
                                                        get("/admin/terms/recount/999999", who(reader=403, other=403, librarian=403, admin=404))],
    ("POST", "/admin/terms/recount/<int:recount_id>"): [post("/admin/terms/recount/{new_recount}", ADMINS)],
    ("POST", "/admin/terms/<key>/delete"): [post("/admin/terms/{new_term}/delete", ADMINS, {"confirmed": "1"})],
    ("GET", "/admin/users"): [get("/admin/users", STAFF)],
    ("GET", "/admin/users/<int:user_id>"): [get("/admin/users/{reader}", STAFF)],
    ("POST", "/admin/users/<int:user_id>/active"): [post("/admin/users/{new_student}/active", ADMINS,
                                                         {"account-reason": "leaving", "active": "0"})],
    ("POST", "/admin/users/<int:user_id>/adjust"): [
        post("/admin/users/{new_student}/adjust", STAFF, {"amount": "5", "reason": "helped", "nonce": "{new_nonce}"}),
        # Nobody pays themselves: the librarian's own points, by the librarian.
        post("/admin/users/{librarian}/adjust", STAFF | {LIBRARIAN: 400},
             {"amount": "5", "reason": "helped", "nonce": "{new_nonce}"})],
    ("POST", "/admin/users/<int:user_id>/role"): [post("/admin/users/{new_student}/role", ADMINS,
                                                       {"role": "librarian", "reason": "hired"})],
    ("GET", "/admin/approvals/"): [get("/admin/approvals/", STAFF)],
    ("POST", "/admin/approvals/<int:request_id>/approve"): [
        post("/admin/approvals/{new_request}/approve", STAFF),
        post("/admin/approvals/{new_librarians_request}/approve", STAFF | {LIBRARIAN: 403})],  # four eyes
    ("POST", "/admin/approvals/<int:request_id>/reject"): [post("/admin/approvals/{new_request}/reject", STAFF,
                                                                {"note": "not this time"})],
    # --- badges and Open Badges (public documents: verifiers fetch them) --------------------------
    ("GET", "/badges/"): [get("/badges/", EVERYONE)],
    ("GET", "/badges/<key>"): [get("/badges/core:champion", EVERYONE)],
    ("GET", "/badges/<key>/image"): [get("/badges/core:champion/image", EVERYONE)],
    ("GET", "/badges/manage"): [get("/badges/manage", ADMINS)],
    ("POST", "/badges/<key>/artwork"): [post("/badges/core:champion/artwork", ADMINS, {"image": PNG})],
    ("GET", "/badges/<key>/award"): [get("/badges/core:champion/award", STAFF)],
    ("POST", "/badges/<key>/award"): [post("/badges/core:champion/award", STAFF,
                                           {"who": "{new_student_email}", "reason": "a fine exhibition"})],
    ("GET", "/badges/<key>/revoke"): [get("/badges/core:champion/revoke", STAFF)],
    ("POST", "/badges/<key>/revoke"): [post("/badges/core:champion/revoke", STAFF,
                                            {"who": "{new_champion_email}", "reason": "given in error"})],
    ("GET", "/favicon.svg"): [get("/favicon.svg", EVERYONE)],
    ("GET", "/favicon.ico"): [get("/favicon.ico", EVERYONE)],
    ("GET", "/icons/<int:size>.png"): [get("/icons/192.png", EVERYONE), get("/icons/193.png", NOBODY)],
    ("GET", "/icons/maskable.png"): [get("/icons/maskable.png", EVERYONE)],
    ("GET", "/manifest.webmanifest"): [get("/manifest.webmanifest", EVERYONE)],
    ("GET", "/badges/verify/<int:award_id>"): [get("/badges/verify/{award}", EVERYONE)],
    ("POST", "/badges/verify/<int:award_id>"): [post("/badges/verify/{award}", EVERYONE,
                                                     {"email": "someone@else.example"})],
    ("GET", "/openbadges/issuer"): [get("/openbadges/issuer", EVERYONE)],
    ("GET", "/openbadges/badges/<key>"): [get("/openbadges/badges/core:champion", EVERYONE)],
    ("GET", "/openbadges/badges/<key>/image.png"): [get("/openbadges/badges/core:champion/image.png", EVERYONE)],
    ("GET", "/openbadges/assertions/<int:award_id>"): [get("/openbadges/assertions/{award}", EVERYONE)],
    ("GET", "/openbadges/assertions/<int:award_id>/badge.png"): [
        get("/openbadges/assertions/{award}/badge.png", EVERYONE)],
    # --- Open Badges 3.0: public documents; a credential is its holder's unless their page is public
    ("GET", "/openbadges/v3/issuer"): [get("/openbadges/v3/issuer", EVERYONE)],
    ("GET", "/openbadges/v3/achievements/<key>"): [get("/openbadges/v3/achievements/core:champion", EVERYONE)],
    ("GET", "/openbadges/v3/achievements/<key>/<any('zh-Hans'):language>"): [
        get("/openbadges/v3/achievements/core:champion/zh-Hans", EVERYONE)],
    ("GET", "/openbadges/v3/revocations"): [get("/openbadges/v3/revocations", EVERYONE)],
    ("GET", "/openbadges/v3/credentials/<int:award_id>"): [
        get("/openbadges/v3/credentials/{new_public_award}", EVERYONE),
        get("/openbadges/v3/credentials/{private_award}", who(403, 403, OK, 403, 403))],
    ("GET", "/openbadges/v3/credentials/<int:award_id>/badge.png"): [
        get("/openbadges/v3/credentials/{new_public_award}/badge.png", EVERYONE),
        get("/openbadges/v3/credentials/{private_award}/badge.png", who(403, 403, OK, 403, 403))],
    ("GET", "/badges/verify/credential"): [get("/badges/verify/credential", EVERYONE)],
    ("POST", "/badges/verify/credential"): [post("/badges/verify/credential", EVERYONE, {"text": "{{\"not\": 1}}"})],

    # --- boards -----------------------------------------------------------------------------------
    ("GET", "/boards/"): [get("/boards/", EVERYONE)],
    ("GET", "/boards/<period>"): [get("/boards/week", EVERYONE)],
    ("GET", "/boards/<period>/cohort/<path:cohort>"): [get("/boards/all/cohort/History", EVERYONE)],
    ("GET", "/boards/staff"): [get("/boards/staff", EVERYONE)],
    ("GET", "/boards/staff/<period>"): [get("/boards/staff/month", EVERYONE)],
    # --- notifications: each reader's own ---------------------------------------------------------
    ("GET", "/notifications/"): [get("/notifications/", SIGNED_IN)],
    ("GET", "/notifications/count"): [get("/notifications/count", SIGNED_IN)],
    ("POST", "/notifications/<int:note_id>/read"): [post("/notifications/{note}/read", AUTHOR_ONLY)],
    ("POST", "/notifications/read-all"): [post("/notifications/read-all", SIGNED_IN)],
    # --- email: each reader's own preferences; unsubscribing needs the signed token, not a sign-in
    ("GET", "/notifications/email"): [get("/notifications/email", SIGNED_IN)],
    ("POST", "/notifications/email"): [post("/notifications/email", SIGNED_IN, {"stop_all": "y"})],
    ("GET", "/mail/unsubscribe/<token>"): [get("/mail/unsubscribe/forged.token", who(400, 400, 400, 400, 400))],
    ("POST", "/mail/unsubscribe/<token>"): [post("/mail/unsubscribe/forged.token", who(400, 400, 400, 400, 400))],
    # --- webhooks out and embeddable boards ------------------------------------------------------
    # Administrators alone manage webhooks; an address on a private network is refused (400).
    ("GET", "/admin/webhooks/"): [get("/admin/webhooks/", ADMINS)],
    ("GET", "/admin/webhooks/new"): [get("/admin/webhooks/new", ADMINS)],
    ("POST", "/admin/webhooks/new"): [
        post("/admin/webhooks/new", ADMINS, {"url": "http://93.184.216.34/hook", "event_types": "points.awarded"}),
        post("/admin/webhooks/new", ADMINS | {ADMIN: 400}, {"url": "http://10.0.0.1/", "event_types": "points.awarded"})],
    ("GET", "/admin/webhooks/<int:endpoint_id>"): [get("/admin/webhooks/{new_webhook}", ADMINS)],
    ("POST", "/admin/webhooks/<int:endpoint_id>"): [
        post("/admin/webhooks/{new_webhook}", ADMINS | {ADMIN: 400}, {"url": "http://10.0.0.1/", "event_types": "points.awarded"})],
    ("POST", "/admin/webhooks/<int:endpoint_id>/switch"): [post("/admin/webhooks/{new_webhook}/switch", ADMINS)],
    ("POST", "/admin/webhooks/<int:endpoint_id>/secret"): [
        post("/admin/webhooks/{new_webhook}/secret", ADMINS, {"confirmed": "1"})],
    ("POST", "/admin/webhooks/<int:endpoint_id>/delete"): [
        post("/admin/webhooks/{new_webhook}/delete", ADMINS, {"confirmed": "1"})],
    ("GET", "/admin/webhooks/deliveries/<int:delivery_id>"): [
        get("/admin/webhooks/deliveries/{new_webhook_delivery}", ADMINS)],
    ("POST", "/admin/webhooks/deliveries/<int:delivery_id>/again"): [
        post("/admin/webhooks/deliveries/{new_webhook_delivery}/again", ADMINS)],
    ("GET", "/embed/boards/<period>"): [get("/embed/boards/all", EVERYONE), get("/embed/boards/decade", NOBODY)],
    ("GET", "/embed/boards/<period>.json"): [get("/embed/boards/week.json", EVERYONE),
                                             get("/embed/boards/decade.json", NOBODY)],

    # --- library screens: librarians set them up, the TV needs only its secret address ------------
    ("GET", "/screens/"): [get("/screens/", STAFF)],
    ("GET", "/screens/new"): [get("/screens/new", STAFF)],
    ("POST", "/screens/new"): [post("/screens/new", STAFF, SCREEN)],
    ("GET", "/screens/<int:screen_id>"): [get("/screens/{new_screen}", STAFF)],
    ("POST", "/screens/<int:screen_id>"): [post("/screens/{new_screen}", STAFF, SCREEN)],
    ("POST", "/screens/<int:screen_id>/delete"): [post("/screens/{new_screen}/delete", STAFF, {"confirmed": "1"})],
    ("POST", "/screens/<int:screen_id>/rotate"): [post("/screens/{new_screen}/rotate", STAFF, {"confirmed": "1"})],
    ("GET", "/screen/<token>"): [get("/screen/{screen_token}", EVERYONE),
                                 get("/screen/forged-token", who(403, 403, 403, 403, 403))],
    ("GET", "/screen/<token>/slide"): [get("/screen/{screen_token}/slide", EVERYONE)],
    # --- contributions ----------------------------------------------------------------------------
    ("GET", "/contributions/"): [get("/contributions/", EVERYONE)],
    ("GET", "/contributions/gallery"): [get("/contributions/gallery", EVERYONE)],
    ("GET", "/contributions/static/<path:filename>"): [get("/contributions/static/contributions.css", EVERYONE)],
    ("GET", "/contributions/challenges/<int:challenge_id>"): [get("/contributions/challenges/{challenge}", EVERYONE)],
    ("GET", "/contributions/challenges/<int:challenge_id>/submit"): [
        get("/contributions/challenges/{challenge}/submit", SIGNED_IN)],
    ("POST", "/contributions/challenges/<int:challenge_id>/submit"): [
        post("/contributions/challenges/{challenge}/submit", SIGNED_IN, {"text": "A review of a good book."})],
    ("GET", "/contributions/challenges/<int:challenge_id>/edit"): [
        get("/contributions/challenges/{challenge}/edit", STAFF)],
    ("POST", "/contributions/challenges/<int:challenge_id>/edit"): [
        post("/contributions/challenges/{challenge}/edit", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/contributions/challenges/<int:challenge_id>/export.csv"): [
        get("/contributions/challenges/{challenge}/export.csv", STAFF)],
    ("GET", "/contributions/challenges/new"): [get("/contributions/challenges/new", STAFF)],
    ("POST", "/contributions/challenges/new"): [post("/contributions/challenges/new", STAFF | {LIBRARIAN: 400,
                                                                                               ADMIN: 400})],
    ("GET", "/contributions/images/<int:image_id>"): [
        get("/contributions/images/{approved_submission_image}", EVERYONE),
        get("/contributions/images/{pending_submission_image}", AUTHOR_AND_STAFF),
        get("/contributions/images/{rejected_submission_image}", AUTHOR_AND_STAFF)],
    ("GET", "/contributions/manage"): [get("/contributions/manage", STAFF)],
    ("GET", "/contributions/mine"): [get("/contributions/mine", SIGNED_IN)],
    ("GET", "/contributions/moderation"): [get("/contributions/moderation", STAFF)],
    ("POST", "/contributions/moderation"): [
        post("/contributions/moderation", STAFF, {"ids": "{new_pending_submission}", "decision": "approve",
                                                  "reason": ""}),
        post("/contributions/moderation", STAFF | {LIBRARIAN: 403}, {"ids": "{new_librarians_submission}",
                                                                    "decision": "approve", "reason": ""})],
    ("GET", "/contributions/submissions/<int:submission_id>"): [
        get("/contributions/submissions/{approved_submission}", EVERYONE),
        get("/contributions/submissions/{pending_submission}", AUTHOR_AND_STAFF),
        get("/contributions/submissions/{rejected_submission}", AUTHOR_AND_STAFF)],
    ("GET", "/contributions/submissions/<int:submission_id>/edit"): [
        get("/contributions/submissions/{pending_submission}/edit", AUTHOR_ONLY)],
    ("POST", "/contributions/submissions/<int:submission_id>/edit"): [
        post("/contributions/submissions/{pending_submission}/edit", AUTHOR_ONLY, {"text": "Better words."})],
    ("POST", "/contributions/submissions/<int:submission_id>/feature"): [
        post("/contributions/submissions/{new_approved_submission}/feature", STAFF),
        post("/contributions/submissions/{new_librarians_approved_submission}/feature", STAFF | {LIBRARIAN: 403})],
    ("POST", "/contributions/submissions/<int:submission_id>/like"): [
        post("/contributions/submissions/{new_approved_submission}/like", who(reader=403)),  # not one's own
        post("/contributions/submissions/{pending_submission}/like",
             who(reader=409, other=404, librarian=409, admin=409))],
    ("POST", "/contributions/submissions/<int:submission_id>/unlike"): [  # idempotent: nothing liked, nothing changes
        post("/contributions/submissions/{new_approved_submission}/unlike", SIGNED_IN),
        post("/contributions/submissions/{pending_submission}/unlike", who(other=404))],
    ("POST", "/contributions/submissions/<int:submission_id>/withdraw"): [
        post("/contributions/submissions/{new_pending_submission}/withdraw", AUTHOR_ONLY, {"confirmed": "1"})],
    # --- brand stories ----------------------------------------------------------------------------
    ("GET", "/stories/"): [get("/stories/", EVERYONE)],
    ("GET", "/stories/static/<path:filename>"): [get("/stories/static/brand_stories.css", EVERYONE)],
    ("GET", "/stories/characters/<int:character_id>"): [get("/stories/characters/{character}", EVERYONE)],
    ("GET", "/stories/episodes/<int:episode_id>"): [get("/stories/episodes/{episode}", EVERYONE),
                                                    get("/stories/episodes/{draft_episode}", STAFF_SEE)],
    ("GET", "/stories/polls/<int:poll_id>"): [get("/stories/polls/{poll}", EVERYONE),
                                              get("/stories/polls/{draft_poll}", STAFF_SEE)],
    ("POST", "/stories/polls/<int:poll_id>/vote"): [
        post("/stories/polls/{poll}/vote", SIGNED_IN, {"option": "{poll_option}"}),
        post("/stories/polls/{draft_poll}/vote", STAFF_SEE | {ANON: LOGIN}, {"option": "{draft_poll_option}"})],
    ("GET", "/stories/contests/<int:contest_id>"): [get("/stories/contests/{contest_open}", EVERYONE)],
    ("GET", "/stories/contests/<int:contest_id>/ballots.csv"): [
        get("/stories/contests/{contest_closed}/ballots.csv", EVERYONE),
        get("/stories/contests/{contest_voting}/ballots.csv", NOBODY)],  # not before the close
    ("POST", "/stories/contests/<int:contest_id>/designs"): [
        post("/stories/contests/{contest_open}/designs", SIGNED_IN,
             {"title": "My friend", "description": "Drawn in ink.", "image": PNG})],
    ("POST", "/stories/contests/<int:contest_id>/vote"): [
        post("/stories/contests/{contest_voting}/vote", SIGNED_IN, {"rank-{accepted_design}": "1"})],
    ("GET", "/stories/images/<int:image_id>"): [
        get("/stories/images/{portrait}", EVERYONE),
        get("/stories/images/{draft_picture}", STAFF_SEE),
        get("/stories/images/{pending_design_image}", AUTHOR_AND_STAFF)],
    ("GET", "/stories/manage"): [get("/stories/manage", STAFF)],
    ("GET", "/stories/manage/characters/new"): [get("/stories/manage/characters/new", STAFF)],
    ("POST", "/stories/manage/characters/new"): [
        post("/stories/manage/characters/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/stories/manage/characters/<int:character_id>"): [
        get("/stories/manage/characters/{character}", STAFF)],
    ("POST", "/stories/manage/characters/<int:character_id>"): [
        post("/stories/manage/characters/{character}", STAFF, {"name_en": "Xiao Nan", "name_zh": "小南"})],
    ("GET", "/stories/manage/series/new"): [get("/stories/manage/series/new", STAFF)],
    ("POST", "/stories/manage/series/new"): [post("/stories/manage/series/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/stories/manage/series/<int:series_id>"): [get("/stories/manage/series/{series}", STAFF)],
    ("POST", "/stories/manage/series/<int:series_id>"): [
        post("/stories/manage/series/{series}", STAFF, {"title_en": "Tales", "title_zh": "故事"})],
    ("GET", "/stories/manage/episodes/new"): [get("/stories/manage/episodes/new", STAFF)],
    ("POST", "/stories/manage/episodes/new"): [
        post("/stories/manage/episodes/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/stories/manage/episodes/<int:episode_id>"): [get("/stories/manage/episodes/{draft_episode}", STAFF)],
    ("POST", "/stories/manage/episodes/<int:episode_id>"): [
        post("/stories/manage/episodes/{draft_episode}", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/stories/manage/episodes/<int:episode_id>/polls/new"): [
        get("/stories/manage/episodes/{draft_episode}/polls/new", STAFF)],
    ("POST", "/stories/manage/episodes/<int:episode_id>/polls/new"): [
        post("/stories/manage/episodes/{draft_episode}/polls/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("POST", "/stories/manage/polls/<int:poll_id>/close"): [post("/stories/manage/polls/{new_poll}/close", STAFF, {"confirmed": "1"})],
    ("GET", "/stories/manage/polls/<int:poll_id>/options"): [get("/stories/manage/polls/{poll}/options", STAFF)],
    ("POST", "/stories/manage/polls/<int:poll_id>/options"): [
        post("/stories/manage/polls/{poll}/options", STAFF, {"option_id": "{poll_option}", "image": PNG})],
    ("GET", "/stories/manage/contests/new"): [get("/stories/manage/contests/new", STAFF)],
    ("POST", "/stories/manage/contests/new"): [
        post("/stories/manage/contests/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/stories/manage/contests/<int:contest_id>"): [get("/stories/manage/contests/{contest_open}", STAFF)],
    ("POST", "/stories/manage/designs/<int:design_id>/<any(accept, reject):decision>"): [
        post("/stories/manage/designs/{new_design}/accept", STAFF),
        post("/stories/manage/designs/{new_design}/reject", STAFF),
        post("/stories/manage/designs/{new_librarians_design}/accept", STAFF | {LIBRARIAN: 403})],
    # --- feedback ---------------------------------------------------------------------------------
    ("GET", "/feedback/"): [get("/feedback/", SIGNED_IN)],
    ("GET", "/feedback/static/<path:filename>"): [get("/feedback/static/feedback.css", EVERYONE)],
    ("GET", "/feedback/board"): [get("/feedback/board", EVERYONE)],
    ("GET", "/feedback/new"): [get("/feedback/new", SIGNED_IN)],
    ("POST", "/feedback/new"): [post("/feedback/new", SIGNED_IN, {"category": "{category}",
                                                                 "text": "The heating is off again."})],
    ("GET", "/feedback/<int:item_id>"): [get("/feedback/{private_feedback}", who(other=403))],
    ("GET", "/feedback/<int:item_id>/photo"): [get("/feedback/{private_feedback}/photo", AUTHOR_AND_STAFF)],
    ("POST", "/feedback/<int:item_id>/step"): [
        post("/feedback/{new_feedback}/step", who(reader=400, other=403), {"to": "triaged", "note": "Seen."}),
        # A librarian's own item, answered by that librarian: rating the answer would rate oneself.
        post("/feedback/{new_librarians_answered_feedback}/step", who(reader=403, other=403, librarian=400, admin=400),
             {"to": "confirmed", "score": "5"})],
    ("POST", "/feedback/<int:item_id>/me-too"): [
        post("/feedback/{shared_feedback}/me-too", who(reader=400)),  # not to one's own
        post("/feedback/{private_feedback}/me-too", who(reader=400, other=404))],
    ("POST", "/feedback/<int:item_id>/inspiration"): [
        post("/feedback/{new_feedback}/inspiration", STAFF, {"description": "A new sign by the lift."}),
        # The credit is points: nobody credits their own feedback.
        post("/feedback/{new_librarians_feedback}/inspiration", STAFF | {LIBRARIAN: 403},
             {"description": "A faster lift."})],
    ("POST", "/feedback/<int:item_id>/merge"): [
        post("/feedback/{new_feedback}/merge", STAFF, {"into": "{shared_feedback}", "confirmed": "1"})],
    ("POST", "/feedback/<int:item_id>/publish"): [
        post("/feedback/{new_feedback}/publish", STAFF | {LIBRARIAN: 409, ADMIN: 409}, {"published": "1"})],
    ("GET", "/feedback/queue"): [get("/feedback/queue", STAFF)],
    ("GET", "/feedback/measures"): [get("/feedback/measures", STAFF)],
    ("GET", "/feedback/export.csv"): [get("/feedback/export.csv", STAFF)],
    ("GET", "/feedback/settings"): [get("/feedback/settings", STAFF)],
    ("GET", "/feedback/categories/new"): [get("/feedback/categories/new", STAFF)],
    ("POST", "/feedback/categories/new"): [post("/feedback/categories/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/feedback/categories/<int:row_id>"): [get("/feedback/categories/{category}", STAFF)],
    ("POST", "/feedback/categories/<int:row_id>"): [post("/feedback/categories/{category}", STAFF, {
        "name_en": "Noise", "name_zh": "噪音", "first_response_hours": "24", "resolution_hours": "120",
        "active": "y"})],
    ("GET", "/feedback/departments/new"): [get("/feedback/departments/new", STAFF)],
    ("POST", "/feedback/departments/new"): [
        post("/feedback/departments/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/feedback/departments/<int:row_id>"): [get("/feedback/departments/{department}", STAFF)],
    ("POST", "/feedback/departments/<int:row_id>"): [post("/feedback/departments/{department}", STAFF, {
        "name_en": "Reading rooms", "name_zh": "阅览室", "active": "y"})],
    # --- staff scores: librarians only, but the public wall -----------------------------------------
    ("GET", "/staff-scores/"): [get("/staff-scores/", STAFF)],
    ("GET", "/staff-scores/static/<path:filename>"): [get("/staff-scores/static/staff_scores.css", EVERYONE)],
    ("GET", "/staff-scores/wall"): [get("/staff-scores/wall", EVERYONE)],
    ("GET", "/staff-scores/board"): [get("/staff-scores/board", STAFF)],
    ("GET", "/staff-scores/me"): [get("/staff-scores/me", STAFF)],
    ("GET", "/staff-scores/kudos"): [get("/staff-scores/kudos", STAFF)],
    ("POST", "/staff-scores/kudos"): [
        post("/staff-scores/kudos", STAFF, {"receiver": "{librarian2}", "message": "Thank you for the help."}),
        post("/staff-scores/kudos", STAFF | {LIBRARIAN: 400}, {"receiver": "{librarian}", "message": "Me!"})],
    ("GET", "/staff-scores/settings"): [get("/staff-scores/settings", STAFF)],
    ("POST", "/staff-scores/settings"): [post("/staff-scores/settings", STAFF, {"show_publicly": "y"})],
    ("GET", "/staff-scores/rubric"): [get("/staff-scores/rubric", STAFF)],
    ("GET", "/staff-scores/rubric/<int:rubric_id>"): [get("/staff-scores/rubric/{rubric}", STAFF)],
    ("GET", "/staff-scores/rubric/new"): [get("/staff-scores/rubric/new", STAFF)],
    ("POST", "/staff-scores/rubric/new"): [post("/staff-scores/rubric/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    # A version in use by a round is frozen (409); an unused one is edited in place.
    ("GET", "/staff-scores/rubric/<int:rubric_id>/edit"): [
        get("/staff-scores/rubric/{rubric}/edit", STAFF | {LIBRARIAN: 409, ADMIN: 409}),
        get("/staff-scores/rubric/{unused_rubric}/edit", STAFF)],
    ("POST", "/staff-scores/rubric/<int:rubric_id>/edit"): [
        post("/staff-scores/rubric/{rubric}/edit", STAFF | {LIBRARIAN: 409, ADMIN: 409}),
        post("/staff-scores/rubric/{unused_rubric}/edit", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/staff-scores/rounds/new"): [get("/staff-scores/rounds/new", STAFF)],
    ("POST", "/staff-scores/rounds/new"): [post("/staff-scores/rounds/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/staff-scores/rounds/<int:round_id>"): [get("/staff-scores/rounds/{open_round}", STAFF),
                                                      get("/staff-scores/rounds/{closed_round}", STAFF)],
    # Unpublished results: the round's creator and administrators only.
    ("GET", "/staff-scores/rounds/<int:round_id>/export.csv"): [
        get("/staff-scores/rounds/{closed_round}/export.csv", ADMINS)],
    ("POST", "/staff-scores/rounds/<int:round_id>/publish"): [
        post("/staff-scores/rounds/{new_closed_round}/publish", ADMINS, {"confirmed": "1"})],
    ("POST", "/staff-scores/rounds/<int:round_id>/remind"): [
        post("/staff-scores/rounds/{open_round}/remind", ADMINS)],
    ("GET", "/staff-scores/rounds/<int:round_id>/rate/<int:user_id>"): [
        get("/staff-scores/rounds/{open_round}/rate/{librarian2}", STAFF)],
    ("POST", "/staff-scores/rounds/<int:round_id>/rate/<int:user_id>"): [
        post("/staff-scores/rounds/{open_round}/rate/{librarian2}", STAFF,
             {"c{criterion0}": "4", "c{criterion1}": "5", "comment": "Kind and quick."})],

    # --- core: faculties and roster imports ------------------------------------------------------
    ("GET", "/admin/faculties"): [get("/admin/faculties", ADMINS), get("/admin/faculties?faculty={new_faculty}", ADMINS)],
    ("POST", "/admin/faculties"): [post("/admin/faculties", ADMINS, {"code": "{new_faculty_code}", "name_en": "Matrix {new_faculty_code}",
                                                                     "name_zh": "矩阵 {new_faculty_code}", "order": "0", "active": "y"})],
    ("POST", "/admin/faculties/<int:faculty_id>/delete"): [post("/admin/faculties/{new_faculty}/delete", ADMINS),
                                                          post("/admin/faculties/999999/delete", who(reader=403, other=403, librarian=403, admin=404))],
    ("GET", "/admin/roster"): [get("/admin/roster", ADMINS)],
    # No file: the administrator is told to choose one (400); nobody else gets that far.
    ("POST", "/admin/roster"): [post("/admin/roster", who(reader=403, other=403, librarian=403, admin=400), {"kind": "users"})],
    ("GET", "/admin/roster/<int:import_id>"): [get("/admin/roster/{new_roster_import}", ADMINS),
                                               get("/admin/roster/999999", who(reader=403, other=403, librarian=403, admin=404))],
    ("POST", "/admin/roster/<int:import_id>/apply"): [post("/admin/roster/{new_roster_import}/apply", ADMINS)],
    # --- rewards: perks, vouchers (their holder and the desk), prize draws ---------------------------
    ("GET", "/rewards/"): [get("/rewards/", SIGNED_IN)],
    ("GET", "/rewards/static/<path:filename>"): [get("/rewards/static/rewards.css", EVERYONE)],
    ("GET", "/rewards/perks/<int:perk_id>/image"): [get("/rewards/perks/{perk}/image", EVERYONE)],
    ("POST", "/rewards/perks/<int:perk_id>/redeem"): [
        post("/rewards/perks/{perk}/redeem", SIGNED_IN, {"token": "{new_token}"}),
        post("/rewards/perks/{perk}/redeem", who(reader=400, other=400, librarian=400, admin=400), {"token": ""})],
    ("GET", "/rewards/wallet"): [get("/rewards/wallet", SIGNED_IN)],
    ("GET", "/rewards/vouchers/<code>"): [get("/rewards/vouchers/{voucher_code}", who(other=404))],
    ("POST", "/rewards/vouchers/<code>/fulfil"): [
        post("/rewards/vouchers/{new_voucher_code}/fulfil", STAFF)],
    ("POST", "/rewards/vouchers/<code>/cancel"): [
        post("/rewards/vouchers/{new_voucher_code}/cancel", STAFF)],
    ("GET", "/rewards/manage"): [get("/rewards/manage", STAFF)],
    ("GET", "/rewards/manage/perks/new"): [get("/rewards/manage/perks/new", STAFF)],
    ("POST", "/rewards/manage/perks/new"): [
        post("/rewards/manage/perks/new", STAFF, {"name_en": "Tote bag", "name_zh": "帆布袋", "cost": "150",
                                                  "audience": "", "active": "y"}),
        post("/rewards/manage/perks/new", STAFF | {LIBRARIAN: 400, ADMIN: 400}, {"name_en": "", "cost": "-1"})],
    ("GET", "/rewards/manage/perks/<int:perk_id>"): [get("/rewards/manage/perks/{perk}", STAFF)],
    ("POST", "/rewards/manage/perks/<int:perk_id>"): [
        post("/rewards/manage/perks/{perk}", STAFF, {"name_en": "Printing credit", "name_zh": "打印额度", "cost": "1",
                                                     "audience": "", "active": "y"})],
    ("GET", "/rewards/manage/vouchers"): [get("/rewards/manage/vouchers", STAFF)],
    ("GET", "/rewards/manage/vouchers.csv"): [get("/rewards/manage/vouchers.csv", STAFF)],
    ("GET", "/rewards/manage/draws/new"): [get("/rewards/manage/draws/new", STAFF)],
    ("POST", "/rewards/manage/draws/new"): [
        post("/rewards/manage/draws/new", STAFF, {"title_en": "Draw", "title_zh": "抽奖", "prize_en": "A book",
                                                  "prize_zh": "一本书", "winners": "1", "ticket_cost": "5",
                                                  "max_bought": "2", "max_earned": "0", "opens_at": "{draw_opens}",
                                                  "draw_at": "{draw_at}"}),
        post("/rewards/manage/draws/new", STAFF | {LIBRARIAN: 400, ADMIN: 400}, {"title_en": ""})],
    ("GET", "/rewards/draws"): [get("/rewards/draws", EVERYONE)],
    ("GET", "/rewards/draws/<int:draw_id>"): [get("/rewards/draws/{open_draw}", EVERYONE),
                                              get("/rewards/draws/{drawn_draw}", EVERYONE)],
    ("POST", "/rewards/draws/<int:draw_id>/tickets"): [
        post("/rewards/draws/{open_draw}/tickets", SIGNED_IN, {"token": "{new_token}"}),
        post("/rewards/draws/{drawn_draw}/tickets", who(reader=409, other=409, librarian=409, admin=409),
             {"token": "{new_token}"})],
    ("GET", "/rewards/draws/<int:draw_id>/tickets.csv"): [get("/rewards/draws/{drawn_draw}/tickets.csv", EVERYONE),
                                                          get("/rewards/draws/{open_draw}/tickets.csv", NOBODY)],
    # --- sign-in providers (core.identity) and their plugins --------------------------------------
    ("GET", "/auth/signed-out"): [get("/auth/signed-out", EVERYONE)],  # nothing to go on to: home
    ("GET", "/admin/sign-in/"): [get("/admin/sign-in/", ADMINS)],
    ("POST", "/admin/sign-in/passwords"): [post("/admin/sign-in/passwords", ADMINS, {"enabled": "1"})],
    ("GET", "/admin/sign-in/<key>"): [get("/admin/sign-in/cas", ADMINS), get("/admin/sign-in/nowhere", ADMINS | {ADMIN: 404})],
    # Saved without the server's address: refused, nothing stored.
    ("POST", "/admin/sign-in/<key>"): [post("/admin/sign-in/cas", ADMINS | {ADMIN: 400}, {"version": "3"})],
    ("POST", "/admin/sign-in/<key>/test"): [post("/admin/sign-in/oidc/test", ADMINS)],  # not set up: back to its page
    # The providers are not set up in this world: their routes answer 404 to everyone.
    ("GET", "/signin/cas/start"): [get("/signin/cas/start", NOBODY)],
    ("GET", "/signin/cas/callback"): [get("/signin/cas/callback?ticket=ST-1", NOBODY)],
    ("POST", "/signin/cas/callback"): [post("/signin/cas/callback", NOBODY, {"logoutRequest": "<x/>"})],
    ("GET", "/signin/oidc/start"): [get("/signin/oidc/start", NOBODY)],
    ("GET", "/signin/oidc/callback"): [get("/signin/oidc/callback?code=x&state=y", NOBODY)],
    ("GET", "/signin/ldap/"): [get("/signin/ldap/", NOBODY)],
    ("POST", "/signin/ldap/"): [post("/signin/ldap/", NOBODY, {"username": "reader", "password": PASSWORD})],
    # --- insights: the relationship dashboard, librarians only -------------------------------------
    ("GET", "/insights/"): [get("/insights/", STAFF), get("/insights/?period=week&start=2026-11-30&end=2026-11-01",
                                                          STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/insights/static/<path:filename>"): [get("/insights/static/insights.css", EVERYONE)],
    ("GET", "/insights/<panel>.csv"): [get("/insights/active.csv", STAFF), get("/insights/cohorts.csv", STAFF)],
    ("GET", "/insights/segments"): [get("/insights/segments?faculty=&activity=any", STAFF)],
    ("GET", "/insights/segments/size"): [get("/insights/segments/size?activity=lapsed", STAFF)],
    ("POST", "/insights/segments/send"): [
        post("/insights/segments/send?activity=any", STAFF, {"text": "The library opens late on Friday."}),
        post("/insights/segments/send?activity=any", STAFF | {LIBRARIAN: 400, ADMIN: 400}, {"text": ""})],
    ("GET", "/insights/report"): [get("/insights/report", STAFF)],
    # No reader of the world was active this term: the report page says so instead of printing.
    # A term no library has (the matrix's own terms come and go as other cases run): staff reach
    # the view, which says there is no such term; the PDF itself is tested in the plugin.
    ("GET", "/insights/report.pdf"): [get("/insights/report.pdf?term=1999-none", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    # --- events -----------------------------------------------------------------------------------
    ("GET", "/events/"): [get("/events/", EVERYONE)],
    ("GET", "/events/static/<path:filename>"): [get("/events/static/events.css", EVERYONE)],
    ("GET", "/events/<int:event_id>"): [get("/events/{event}", EVERYONE)],
    ("POST", "/events/<int:event_id>/register"): [post("/events/{new_event}/register", SIGNED_IN)],
    ("POST", "/events/<int:event_id>/cancel"): [  # nothing to cancel: refused, nothing changes
        post("/events/{new_event}/cancel", who(reader=409, other=409, librarian=409, admin=409))],
    ("GET", "/events/mine"): [get("/events/mine", SIGNED_IN)],
    ("POST", "/events/mine/new-<any(code, feed):which>"): [post("/events/mine/new-code", SIGNED_IN),
                                                           post("/events/mine/new-feed", SIGNED_IN)],
    ("GET", "/events/check-in/<int:event_id>/<code>"): [
        get("/events/check-in/{running_event}/{new_checkin_code}", SIGNED_IN),
        get("/events/check-in/{new_running_event}/expired", who(reader=400, other=400, librarian=400, admin=400))],
    ("POST", "/events/check-in/<int:event_id>/<code>"): [
        post("/events/check-in/{running_event}/{new_checkin_code}", SIGNED_IN),
        post("/events/check-in/{event}/{new_checkin_code}", who(reader=400, other=400, librarian=400, admin=400))],
    ("GET", "/events/calendar.ics"): [get("/events/calendar.ics", EVERYONE)],
    ("GET", "/events/feed/<int:user_id>/<token>.ics"): [
        get("/events/feed/{reader}/{new_reader_feed_token}.ics", EVERYONE),
        get("/events/feed/{reader}/wrong.ics", NOBODY)],
    ("GET", "/events/live/<token>"): [get("/events/live/{live_token}", EVERYONE),
                                      get("/events/live/forged", NOBODY)],
    ("GET", "/events/manage"): [get("/events/manage", STAFF)],
    ("GET", "/events/new"): [get("/events/new", STAFF)],
    ("POST", "/events/new"): [post("/events/new", STAFF | {LIBRARIAN: 400, ADMIN: 400})],
    ("GET", "/events/<int:event_id>/edit"): [get("/events/{event}/edit", STAFF)],
    ("POST", "/events/<int:event_id>/edit"): [post("/events/{event}/edit", STAFF | {LIBRARIAN: 400, ADMIN: 400},
                                                   {"title_en": ""})],
    ("GET", "/events/<int:event_id>/attendance"): [get("/events/{running_event}/attendance", STAFF)],
    ("POST", "/events/<int:event_id>/attendance/<int:user_id>"): [
        post("/events/{running_event}/attendance/{other_reader}", STAFF)],
    ("GET", "/events/<int:event_id>/attendance.csv"): [get("/events/{running_event}/attendance.csv", STAFF)],
    ("GET", "/events/<int:event_id>/code"): [get("/events/{running_event}/code", STAFF)],
    ("GET", "/events/readers/<int:user_id>/<code>"): [get("/events/readers/{reader}/{new_reader_code}", STAFF),
                                                      get("/events/readers/{reader}/forged", STAFF | {LIBRARIAN: 404, ADMIN: 404})],
    ("POST", "/events/readers/<int:user_id>/<code>"): [
        post("/events/readers/{reader}/{new_reader_code}", STAFF, {"event_id": "{running_event}"})],
    # --- the JSON API (core.api) ----------------------------------------------------------------
    # The matrix's roles sign in with sessions; the API takes only keys, so every role is answered
    # 401 (a problem, nothing changed). Keys and scopes are covered by tests/test_api.py.
    ("GET", "/api/v1/openapi.json"): [get("/api/v1/openapi.json", EVERYONE)],
    ("GET", "/developers/api"): [get("/developers/api", EVERYONE)],
    ("GET", "/api/v1/readers"): [get("/api/v1/readers", KEY_ONLY)],
    ("GET", "/api/v1/readers/<string:number>"): [get("/api/v1/readers/{reader_number}", KEY_ONLY)],
    ("PUT", "/api/v1/readers/<string:number>"): [Case("/api/v1/readers/{reader_number}", KEY_ONLY)],
    ("GET", "/api/v1/readers/<string:number>/points"): [get("/api/v1/readers/{reader_number}/points", KEY_ONLY)],
    ("GET", "/api/v1/readers/<string:number>/points/history"): [
        get("/api/v1/readers/{reader_number}/points/history", KEY_ONLY)],
    ("GET", "/api/v1/readers/<string:number>/badges"): [get("/api/v1/readers/{reader_number}/badges", KEY_ONLY)],
    ("POST", "/api/v1/readers/<string:number>/badges"): [post("/api/v1/readers/{reader_number}/badges", KEY_ONLY)],
    ("POST", "/api/v1/awards"): [post("/api/v1/awards", KEY_ONLY)],
    ("POST", "/api/v1/awards/batch"): [post("/api/v1/awards/batch", KEY_ONLY)],
    ("GET", "/api/v1/badges"): [get("/api/v1/badges", KEY_ONLY)],
    ("GET", "/api/v1/boards/<any(all, week, month, term):period>"): [get("/api/v1/boards/all", KEY_ONLY)],
    ("GET", "/api/v1/boards/<any(all, week, month, term):period>/around/<string:number>"): [
        get("/api/v1/boards/all/around/{reader_number}", KEY_ONLY)],
    ("GET", "/api/v1/faculties"): [get("/api/v1/faculties", KEY_ONLY)],
    ("GET", "/api/v1/activities"): [get("/api/v1/activities", KEY_ONLY)],
    ("GET", "/admin/api-keys"): [get("/admin/api-keys", ADMINS)],
    ("POST", "/admin/api-keys"): [post("/admin/api-keys", ADMINS, {"name": "Matrix system", "scopes": "boards:read",
                                                                    "rate_limit": "600 per minute"})],
    ("POST", "/admin/api-keys/<int:key_id>/revoke"): [
        post("/admin/api-keys/{new_api_key}/revoke", ADMINS),
        post("/admin/api-keys/999999/revoke", who(reader=403, other=403, librarian=403, admin=404))],
}

# --- accounts (core.identity): resets, confirming and changing addresses, my data ---------------
ACCESS.update({
    ("GET", "/auth/reset"): [get("/auth/reset", EVERYONE)],
    ("POST", "/auth/reset"): [post("/auth/reset", EVERYONE, {"email": "{new_student_email}"})],
    ("GET", "/auth/reset/<token>"): [get("/auth/reset/forged.token", who(400, 400, 400, 400, 400))],
    ("POST", "/auth/reset/<token>"): [post("/auth/reset/forged.token", who(400, 400, 400, 400, 400),
                                           {"password": "violet lantern orchard", "confirm": "violet lantern orchard"})],
    ("GET", "/account/verify"): [get("/account/verify", SIGNED_IN)],
    ("POST", "/account/verify"): [post("/account/verify", SIGNED_IN)],
    ("GET", "/account/verify/<token>"): [get("/account/verify/forged.token", EVERYONE)],  # asks first
    ("POST", "/account/verify/<token>"): [post("/account/verify/forged.token", who(400, 400, 400, 400, 400))],
    ("GET", "/account/email"): [get("/account/email", SIGNED_IN)],
    ("POST", "/account/email"): [post("/account/email", SIGNED_IN, {"email": "{new_address}", "current": PASSWORD})],
    ("GET", "/account/data"): [get("/account/data", SIGNED_IN)],
    ("GET", "/account/data/export"): [get("/account/data/export", SIGNED_IN)],
    # The matrix's own accounts must survive: a wrong confirmation is refused (400), nothing deleted.
    ("POST", "/account/delete"): [post("/account/delete", who(reader=400, other=400, librarian=400, admin=400),
                                       {"current": PASSWORD, "confirm_email": "not-mine@test.library"})],
    ("GET", "/admin/accounts"): [get("/admin/accounts", ADMINS)],
    ("POST", "/admin/accounts"): [post("/admin/accounts", ADMINS, {"retention_years": "0"})],
    ("POST", "/admin/users/<int:user_id>/send-reset"): [post("/admin/users/{new_student}/send-reset", ADMINS)],
})

# --- badgemaker: badges librarians make -------------------------------------------------------
MADE_BADGE = {"name_en": "{new_badge_name}", "name_zh": "{new_badge_name}", "how_en": "Take part twice.",
              "how_zh": "参加两次。", "needs-0-what": "badgemaker:activities|*", "needs-0-goal": "2", "artwork": "emblem"}
ACCESS.update({
    ("GET", "/badgemaker/"): [get("/badgemaker/", STAFF)],
    ("GET", "/badgemaker/static/<path:filename>"): [get("/badgemaker/static/badgemaker.css", EVERYONE)],
    ("GET", "/badgemaker/new"): [get("/badgemaker/new", STAFF)],
    ("POST", "/badgemaker/new"): [post("/badgemaker/new", STAFF, MADE_BADGE),
                                  post("/badgemaker/new", STAFF | {LIBRARIAN: 400, ADMIN: 400},
                                       MADE_BADGE | {"needs-0-what": ""})],
    ("POST", "/badgemaker/preview"): [post("/badgemaker/preview", STAFF, MADE_BADGE)],
    ("GET", "/badgemaker/<int:badge_id>"): [get("/badgemaker/{made_badge}", STAFF)],
    ("GET", "/badgemaker/<int:badge_id>/holders.csv"): [get("/badgemaker/{made_badge}/holders.csv", STAFF)],
    ("POST", "/badgemaker/<int:badge_id>/retire"): [post("/badgemaker/{new_made_badge}/retire", STAFF)],
})

# --- inbound: events from the library's systems, rules librarians write ---------------------------
INBOUND_RULE = {"name": "Matrix gate", "kind": "gate-entry", "points": "1", "action": "save"}
ACCESS.update({
    ("POST", "/api/v1/inbound/events"): [post("/api/v1/inbound/events", KEY_ONLY)],
    ("GET", "/inbound/"): [get("/inbound/", STAFF)],
    ("GET", "/inbound/static/<path:filename>"): [get("/inbound/static/inbound.css", EVERYONE)],
    ("GET", "/inbound/rules/new"): [get("/inbound/rules/new", STAFF)],
    ("POST", "/inbound/rules/new"): [post("/inbound/rules/new", STAFF, INBOUND_RULE),
                                     post("/inbound/rules/new", STAFF | {LIBRARIAN: 400, ADMIN: 400},
                                          INBOUND_RULE | {"kind": "Not a type!"})],
    ("GET", "/inbound/rules/<int:rule_id>"): [get("/inbound/rules/{inbound_rule}", STAFF),
                                              get("/inbound/rules/999999", STAFF | {LIBRARIAN: 404, ADMIN: 404})],
    ("POST", "/inbound/rules/<int:rule_id>"): [post("/inbound/rules/{inbound_rule}", STAFF,
                                                    INBOUND_RULE | {"kind": "loan", "active": "y"})],
    ("POST", "/inbound/rules/<int:rule_id>/replay"): [post("/inbound/rules/{inbound_rule}/replay", STAFF)],
    ("GET", "/inbound/rules/<int:rule_id>/replays"): [get("/inbound/rules/{inbound_rule}/replays", STAFF)],
    ("GET", "/inbound/unmatched"): [get("/inbound/unmatched", STAFF)],
    ("POST", "/inbound/unmatched"): [  # a number no reader has: refused, nothing changes
        post("/inbound/unmatched", STAFF | {LIBRARIAN: 400, ADMIN: 400}, {"number": "X-1", "reader": "NOBODY"})],
    ("GET", "/inbound/upload"): [get("/inbound/upload", STAFF)],
    ("POST", "/inbound/upload"): [post("/inbound/upload", STAFF | {LIBRARIAN: 400, ADMIN: 400})],  # no file
    ("POST", "/inbound/upload/<int:upload_id>/apply"): [post("/inbound/upload/{new_inbound_upload}/apply", STAFF)],
})
