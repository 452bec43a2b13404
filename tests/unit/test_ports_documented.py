"""Every port of ``tracker_core.ports`` and each of its methods says what it does."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Protocol

from tracker_core import ports

PORTS = [
    cls
    for cls in vars(ports).values()
    if inspect.isclass(cls) and cls.__module__ == ports.__name__ and Protocol in cls.__mro__
]


def methods(cls: type[Any]) -> list[tuple[str, Callable[..., Any]]]:
    """The methods ``cls`` itself defines (what ``Protocol`` adds is not the port's)."""
    return [
        (name, value)
        for name, value in vars(cls).items()
        if inspect.isfunction(value) and value.__qualname__ == f"{cls.__qualname__}.{name}"
    ]


def test_the_ports_are_found() -> None:
    names = {cls.__name__ for cls in PORTS}
    assert {"Clock", "JobQueue", "TrackerRepository", "UnitOfWork"} <= names
    assert len(PORTS) >= 19
    assert ("commit", ports.UnitOfWork.commit) in methods(ports.UnitOfWork)


def test_every_port_has_a_docstring() -> None:
    assert [cls.__name__ for cls in PORTS if not (cls.__doc__ or "").strip()] == []


def test_every_method_of_every_port_has_a_docstring() -> None:
    undocumented = [
        f"{cls.__name__}.{name}"
        for cls in PORTS
        for name, method in methods(cls)
        if not (method.__doc__ or "").strip()
    ]
    assert undocumented == []
