"""A tiny plugin for the feedback tests: it records rated answers and offers one content target,
standing in for staff_scores and brand_stories without importing them."""

from core.hookspecs import ContentTarget, hookimpl

NAME = "fbprobe"
VERSION = "1.0"
TITLE = {"en": "Feedback probe", "zh_Hans": "反馈探针"}
DESCRIPTION = {"en": "Used by the feedback tests.", "zh_Hans": "反馈测试使用。"}

ratings: list = []


@hookimpl
def engage_answer_rated(session, rating):
    ratings.append(rating)


@hookimpl
def engage_content_targets(user):
    return [ContentTarget("fbprobe:episode:7", "Episode 7: the quiet floor", "/stories/7")]
