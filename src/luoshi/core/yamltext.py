"""YAML typed by people (assessment schemes, inspection standards): read with the line of every mapping and
of every key kept, so that a problem is reported as "第 N 行：…" in the user's language — never PyYAML's
English parser message."""

import yaml
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class LinedDict(dict):
    """A mapping read from YAML: `line` is the line it starts on, `key_lines` the line of each key (1-based)."""

    line: int | None = None
    key_lines: dict

    def line_of(self, key) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)


class YamlUnreadable(Exception):
    """The text is not YAML: `line` (1-based) and `problem` (translated) say where and why."""

    def __init__(self, line: int | None, problem: str):
        self.line, self.problem = line, problem
        super().__init__(at_line(line, problem))


def at_line(line: int | None, problem: str) -> str:
    """ "第 N 行：problem", or the problem alone when the line is not known (data that did not come from text)."""
    if line is None:
        return str(problem)
    return gettext("Line %(line)d: %(problem)s") % {"line": line, "problem": problem}


def place(data, what: str, key=None) -> str:
    """`what` ("指标 A"), preceded by its line when `data` was read from text: "第 12 行（指标 A）"; the line of
    `key` within it when given (a block mapping spreads its keys over several lines)."""
    line = line_of(data, key)
    return str(what) if line is None else gettext("Line %(line)d (%(what)s)") % {"line": line, "what": what}


def unknown_keys(data: dict, known: tuple, what: str, errors: list) -> None:
    """Add to `errors` each key of `data` not in `known` (a typing mistake, reported rather than ignored)."""
    for key in data:
        if key not in known:
            errors.append(
                gettext("%(where)s: there is no key %(key)s (the keys are: %(known)s).")
                % {"where": place(data, what, key), "key": key, "known": ", ".join(known)}
            )


def line_of(data, key=None) -> int | None:
    """The line of `data` (a mapping read by `yaml_read`), or of its `key`; None for plain data."""
    if not isinstance(data, LinedDict):
        return None
    return data.line if key is None else data.line_of(key)


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode):
    data = LinedDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise YamlUnreadable(
                key_node.start_mark.line + 1, gettext("a key cannot be a list or a mapping.")
            ) from None
        if key in data.key_lines:
            raise YamlUnreadable(
                key_node.start_mark.line + 1,
                gettext("the key %(key)s appears twice in the same place (first on line %(first)d).")
                % {"key": key, "first": data.key_lines[key]},
            )
        data.key_lines[key] = key_node.start_mark.line + 1
        data[key] = loader.construct_object(value_node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)

# PyYAML's problem (its English text, as a prefix) → what to tell the user; the first that matches wins
_PROBLEMS = (
    (
        "mapping values are not allowed here",
        _(
            "a colon where no value can start (put text with a colon in quotes, or fix the indentation of this line)."
        ),
    ),
    ("could not find expected ':'", _("a colon (:) is missing after the key.")),
    ("found character '\\t'", _("a tab is used for indentation: indent with spaces.")),
    ("found character", _("a character that cannot start a value here (put the text in quotes).")),
    (
        "could not determine a constructor",
        _("a tag (!!…) that is not allowed: write plain text, numbers and lists."),
    ),
    ("found undefined alias", _("an alias (*name) that no anchor (&name) defines.")),
    ("found duplicate anchor", _("an anchor (&name) is defined twice.")),
    (
        "found unknown escape character",
        _("an unknown escape after a backslash in double quotes: use single quotes."),
    ),
    ("found unexpected end of stream", _("quotes that are opened and never closed.")),
    ("expected ',' or ']'", _("a list in [ ] that is not closed, or a comma missing between its items.")),
    (
        "expected ',' or '}'",
        _("a mapping in { } that is not closed, or a comma missing between its entries."),
    ),
    ("but found another document", _("a second document (---): a file holds one document only.")),
    ("expected <block end>", _("the indentation does not line up with the lines above.")),
    ("did not find expected key", _("the indentation does not line up with the lines above.")),
    ("did not find expected '-'", _("the indentation does not line up with the list above.")),
)


def yaml_read(text: str):
    """The document in `text`, its mappings as `LinedDict`; raises `YamlUnreadable` (line, problem)."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 — a SafeLoader with line-keeping mappings
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or ""
        # an unclosed quote or bracket, or a key without its colon: where it began, not where reading stopped
        began = "end of stream" in problem or problem.startswith(("could not find", "expected ',' or"))
        mark = (exc.context_mark if began else None) or exc.problem_mark or exc.context_mark
        message = next((str(say) for start, say in _PROBLEMS if problem.startswith(start)), None)
        raise YamlUnreadable(
            mark.line + 1 if mark else None,
            message
            or gettext("the text is not valid YAML here (check indentation, colons, quotes and brackets)."),
        ) from None
    except yaml.YAMLError:
        raise YamlUnreadable(None, gettext("the text is not valid YAML.")) from None
