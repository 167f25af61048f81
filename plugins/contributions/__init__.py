"""The `contributions` plugin: Knowledge contributions."""
