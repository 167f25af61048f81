"""Plugin object for `contributions`: its name, version, titles, and (as its issue lands) its hooks."""

NAME = "contributions"
VERSION = "0.1.0"
TITLE = {"en": "Knowledge contributions", "zh_Hans": "知识贡献"}
DESCRIPTION = {
    "en": "Challenges in which readers contribute book reviews, photos, stories and local knowledge; moderated, shown in a gallery.",
    "zh_Hans": "读者参与书评、摄影、故事与地方文献等知识贡献挑战；经审核后在作品廊展示。",
}
