"""The `brand_stories` plugin: Brand stories."""
