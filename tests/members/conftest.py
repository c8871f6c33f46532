import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A block whose on-commit callbacks (the queued check) run at its end, as after a real request's commit:
    the test database never commits, so they would not run otherwise."""

    def _block():
        return django_capture_on_commit_callbacks(execute=True)

    return _block
