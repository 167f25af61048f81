"""Plugin object for `brand_stories`: its name, version, titles, and (as its issue lands) its hooks."""

NAME = "brand_stories"
VERSION = "0.1.0"
TITLE = {"en": "Brand stories", "zh_Hans": "品牌故事"}
DESCRIPTION = {
    "en": "The library's hand-painted characters and their stories, with readers voting on what happens next and on design contests.",
    "zh_Hans": "图书馆手绘形象及其故事，读者投票决定情节走向并参与设计大赛。",
}
