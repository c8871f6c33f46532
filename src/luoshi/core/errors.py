class ServiceError(Exception):
    """A rule of the domain refused the operation; `message` is for the user (already translatable)."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotPermitted(Exception):
    """The user may see the record but not do this to it (views answer 403; outside scope is 404 earlier)."""
