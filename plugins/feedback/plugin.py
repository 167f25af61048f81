"""Plugin object for `feedback`: its name, version, titles, and (as its issue lands) its hooks."""

NAME = "feedback"
VERSION = "0.1.0"
TITLE = {"en": "Feedback loop", "zh_Hans": "读者反馈闭环"}
DESCRIPTION = {
    "en": "A closed loop from a reader's complaint or suggestion to a visible change, with credit to the reader who raised it.",
    "zh_Hans": "从读者的意见建议到可见的改进，形成闭环，并为提出者记功。",
}
