"""The error hierarchy drawn in ``tracker_core.errors``' docstring is the real one.

The tree, the HTTP status written beside each base and the naming rule cannot drift from the
classes and from ``entrypoints.http.errors.ERROR_STATUS`` without failing here.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import attrs
import pytest

from entrypoints.http.errors import status_for
from tracker_core import errors
from tracker_core.errors import TrackerError

LIBRARY_DOCS = Path(__file__).resolve().parents[2] / "docs" / "library.md"

_LINE = re.compile(
    r"^(?P<indent>(?:│   |    )*)(?P<branch>├── |└── )?(?P<name>\w+)(?: \((?P<note>[^)]*)\))?$"
)


@attrs.frozen
class Node:
    name: str
    note: str | None
    children: tuple[Node, ...]


def drawing(doc: str) -> str:
    """The literal block after the first ``::`` of a docstring, up to a blank line."""
    return textwrap.dedent(doc.split("::\n\n", 1)[1].split("\n\n", 1)[0])


def parse_tree(text: str) -> Node:
    """The tree drawn in ``text``, one class a line (``├──``/``└──`` branches, ``│`` rails)."""
    lines = text.strip("\n").splitlines()
    stack: list[tuple[int, str, str | None, list[Node]]] = []
    root: Node | None = None

    def close() -> None:
        nonlocal root
        _, name, note, children = stack.pop()
        node = Node(name, note, tuple(children))
        if stack:
            stack[-1][3].append(node)
        else:
            assert root is None, f"a second root: {name}"
            root = node

    for raw in lines:
        match = _LINE.match(raw)
        assert match is not None, f"not a tree line: {raw!r}"
        depth = len(match["indent"]) // 4 + (1 if match["branch"] else 0)
        while stack and stack[-1][0] >= depth:
            close()
        stack.append((depth, match["name"], match["note"], []))
    while stack:
        close()
    assert root is not None
    return root


def real_tree(cls: type[TrackerError]) -> Node:
    """``cls`` and its subclasses as a tree with the drawn notes left out.

    Subclasses a test defines for itself are not part of the service's hierarchy.
    """
    subclasses = [sub for sub in cls.__subclasses__() if not sub.__module__.startswith("tests.")]
    return Node(cls.__name__, None, tuple(real_tree(sub) for sub in subclasses))


def without_notes(node: Node) -> Node:
    return Node(node.name, None, tuple(without_notes(child) for child in node.children))


def by_name(node: Node) -> Node:
    """Children sorted by name: the comparison ignores the order of drawing."""
    return Node(
        node.name, node.note, tuple(sorted(map(by_name, node.children), key=lambda n: n.name))
    )


def walk(node: Node, parent: Node | None = None) -> list[tuple[Node, Node | None]]:
    found = [(node, parent)]
    for child in node.children:
        found += walk(child, node)
    return found


DRAWN = parse_tree(drawing(errors.__doc__ or ""))


def test_the_drawn_tree_is_the_class_hierarchy() -> None:
    assert by_name(without_notes(DRAWN)) == by_name(real_tree(TrackerError))


def test_the_library_docs_draw_the_same_tree() -> None:
    text = LIBRARY_DOCS.read_text(encoding="utf-8")
    block = text.split("## Errors\n", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    assert parse_tree(block) == DRAWN


def test_the_parser_sees_the_whole_drawing() -> None:
    names = [node.name for node, _ in walk(DRAWN)]
    assert names[:3] == ["TrackerError", "RuleViolationError", "ValidationError"]
    assert names[-1] == "DeliveryError"
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("node", "parent"), walk(DRAWN), ids=[node.name for node, _ in walk(DRAWN)]
)
def test_each_drawn_status_is_the_one_the_http_layer_answers(
    node: Node, parent: Node | None
) -> None:
    cls = getattr(errors, node.name)
    if node.note is None:
        # Not annotated: the root (no status of its own) or a class inheriting its base's.
        expected = 500 if parent is None else status_for(getattr(errors, parent.name))
    elif node.note == "jobs only":
        expected = 500
    else:
        expected = int(node.note)
    assert status_for(cls) == expected


def test_every_exception_class_name_ends_in_error() -> None:
    assert [n.name for n, _ in walk(real_tree(TrackerError)) if not n.name.endswith("Error")] == []


def test_the_json_codes_are_the_http_contract_whatever_the_class_names() -> None:
    classes = [getattr(errors, node.name) for node, _ in walk(real_tree(TrackerError))]
    codes = {cls.__name__: cls.code for cls in classes}
    assert codes == {
        "TrackerError": "ERROR",
        "RuleViolationError": "RULE_VIOLATION",
        "ValidationError": "VALIDATION_FAILED",
        "InvalidTrackerUrlError": "INVALID_TRACKER_URL",
        "InvalidFormulaError": "INVALID_FORMULA",
        "AlreadyRegisteredError": "ALREADY_REGISTERED",
        "LimitReachedError": "LIMIT_REACHED",
        "IllegalTransitionError": "ILLEGAL_TRANSITION",
        "UnauthorizedError": "UNAUTHORIZED",
        "ForbiddenError": "FORBIDDEN",
        "NotFoundError": "NOT_FOUND",
        "ConflictError": "CONFLICT",
        "LeaseLostError": "LEASE_LOST",
        "RateLimitedError": "RATE_LIMITED",
        "StorageUnavailableError": "STORAGE_UNAVAILABLE",
        "QueueUnavailableError": "QUEUE_UNAVAILABLE",
        "FetchError": "FETCH_FAILED",
        "ProfileNotFoundError": "FETCH_FAILED",
        "FetchRateLimitedError": "FETCH_FAILED",
        "ChallengeBlockedError": "FETCH_FAILED",
        "FetchTimeoutError": "FETCH_FAILED",
        "FetchNetworkError": "FETCH_FAILED",
        "UpstreamError": "FETCH_FAILED",
        "InvalidPayloadError": "FETCH_FAILED",
        "DeliveryError": "DELIVERY_FAILED",
    }
