"""Plugin object for `staff_scores`: its name, version, titles, and (as its issue lands) its hooks."""

NAME = "staff_scores"
VERSION = "0.1.0"
TITLE = {"en": "Staff scores", "zh_Hans": "馆员互评"}
DESCRIPTION = {
    "en": "Peer evaluation rounds for librarians on a shared rubric, blended with readers' ratings, and a staff board.",
    "zh_Hans": "馆员依据共同制定的标准互评，结合读者评价，形成馆员榜单。",
}
