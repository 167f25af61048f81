"""The `feedback` plugin: Feedback loop."""
