import logging

from django.core.exceptions import PermissionDenied

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A rule of the domain refused the operation; `message` is for the user (already translatable)."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotPermitted(Exception):
    """The user may see the record but not do this to it (views answer 403; outside scope is 404 earlier)."""


def attempt(form, call, *, denied=None) -> bool:
    """Run a service call for a valid form. A broken rule becomes a form error (the typed input stays);
    a missing right is 403 (the record is visible, so its existence is no secret), or the form error
    `denied` = (field, message) where the form itself chose the target."""
    try:
        call()
    except NotPermitted:
        if denied is None:
            raise PermissionDenied from None
        # logged, so a refusal for lack of right is told apart from a broken rule (the crawl test counts it)
        log.info("refused for lack of right, as a form error: %s", denied[1])
        form.add_error(*denied)
        return False
    except ServiceError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True
