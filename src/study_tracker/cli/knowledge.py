from study_tracker.cli.app import app  # noqa: F401
