"""The `staff_scores` plugin: Staff scores."""
