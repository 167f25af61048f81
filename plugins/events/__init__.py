"""Events: workshops, talks and reading clubs with registration, waitlists, reminders and QR check-in."""
