"""One mark of the six unifications as a sign and its reason. A tag rather than an included template: the
compliance page shows six per branch (1,900 at district size), and an include per mark cost most of the page's
time."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_noop

register = template.Library()

_SIGNS = {
    None: ("—", gettext_noop("not required")),
    True: ("✓", gettext_noop("met")),
    False: ("✗", gettext_noop("not met")),
}


@register.simple_tag
def mark_sign(ok, why=""):
    sign, label = _SIGNS[ok if ok is None else bool(ok)]
    html = format_html('<span class="sign" aria-label="{}">{}</span>', gettext(label), sign)
    if why:
        html += format_html('<span class="why">{}</span>', why)
    return html
