"""Settings modules: ``default`` (every environment) and ``testing``."""
