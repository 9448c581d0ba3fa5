"""The registry: constraint id -> checker class.

Built-in checkers register themselves when their modules are imported (``_BUILTIN_MODULES``).
Third-party packages add checkers through the entry-point group ``hir.constraints``: each entry
point names a module (importing it runs its ``@register`` decorators) or a ``Checker`` subclass.
Both are loaded lazily, on the first lookup.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from .base import SEMANTICS, Checker, Semantics
from .errors import ConstraintError, UnknownConstraint

ENTRY_POINT_GROUP = "hir.constraints"

# Modules whose import registers the built-in checkers.
_BUILTIN_MODULES: tuple[str, ...] = (
    "constraints.ifeval",
    "constraints.ifbench",
    "constraints.muldimif",
)

_REGISTRY: dict[str, type[Checker]] = {}


def register(constraint_id: str):
    """Class decorator: register ``cls`` under ``constraint_id`` (``group:name``)."""

    if ":" not in constraint_id:
        raise ValueError(f"constraint id {constraint_id!r} must look like 'group:name'")

    def decorate(cls: type[Checker]) -> type[Checker]:
        if not (isinstance(cls, type) and issubclass(cls, Checker)):
            raise TypeError(f"{cls!r} is not a Checker subclass")
        existing = _REGISTRY.get(constraint_id)
        if existing is not None and existing is not cls:
            raise ValueError(f"constraint id {constraint_id!r} is already registered "
                             f"by {existing.__module__}.{existing.__qualname__}")
        cls.id = constraint_id
        _REGISTRY[constraint_id] = cls
        return cls

    return decorate


_pending: list[str] = list(_BUILTIN_MODULES)  # built-in families not imported yet
_plugins_loaded = False


def _load_next() -> bool:
    """Import the next not-yet-loaded source of checkers; False when all are loaded.

    Families load one at a time, on demand: a file of IFEval rows never pays for importing the
    IFBench checkers (their parameter models cost start-up time). Plugins come last, so a
    plugin can never shadow a built-in id.
    """
    global _plugins_loaded
    if _pending:
        importlib.import_module(_pending.pop(0))
        return True
    if not _plugins_loaded:
        _plugins_loaded = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            obj = ep.load()
            if isinstance(obj, type) and issubclass(obj, Checker) and obj.id not in _REGISTRY:
                register(obj.id or ep.name)(obj)
        return True
    return False


def _load() -> None:
    """Load every source of checkers (built-in families, then plugins)."""
    while _load_next():
        pass


def checker_class(constraint_id: str) -> type[Checker]:
    """The class registered under ``constraint_id``; ``UnknownConstraint`` if there is none."""
    while constraint_id not in _REGISTRY:
        if not _load_next():
            raise UnknownConstraint(f"unknown constraint id {constraint_id!r}",
                                    constraint_id=constraint_id)
    return _REGISTRY[constraint_id]


def ids() -> list[str]:
    """All registered constraint ids, sorted."""
    _load()
    return sorted(_REGISTRY)


def given(kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters actually given: public IFEval/IFBench files pad kwargs with nulls."""
    if kwargs is None:
        return {}
    if not isinstance(kwargs, Mapping):
        raise ConstraintError(f"kwargs must be an object, got {type(kwargs).__name__}")
    return {k: v for k, v in kwargs.items() if v is not None}


def build(constraint_id: str, kwargs: Mapping[str, Any] | None = None, *,
          prompt: str | None = None, semantics: Semantics = "reference",
          index: int | None = None) -> Checker:
    """Build a checker from an (id, kwargs) spec, validating the parameters.

    Raises ``ConstraintError`` naming the constraint (and its ``index`` in the list, when given) and
    the offending field. A missing required parameter is an error: it is never filled with a
    random value, unlike the reference.
    """
    if semantics not in SEMANTICS:
        raise ValueError(f"semantics must be one of {SEMANTICS}, got {semantics!r}")
    try:
        cls = checker_class(constraint_id)
        params = cls.Params.model_validate(given(kwargs))
        # A checker may refuse valid-looking parameters when it is built (a MulDimIF sentence it
        # cannot parse): its ConstraintError is named like a validation error.
        return cls(params, prompt=prompt, semantics=semantics)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = first["msg"]
        if first["type"] == "missing":
            message = "required parameter is missing"
        elif first["type"] == "extra_forbidden":
            message = "unknown parameter"
        raise ConstraintError(message, constraint_id=constraint_id, index=index,
                              field=field) from None
    except ConstraintError as exc:
        exc.index = index if exc.index is None else exc.index
        exc.constraint_id = exc.constraint_id or constraint_id
        raise type(exc)(exc.message, constraint_id=exc.constraint_id, index=exc.index,
                        field=exc.field) from None


def build_all(constraint_ids: Iterable[str], kwargs_list: Iterable[Mapping[str, Any] | None] | None,
              *, prompt: str | None = None, semantics: Semantics = "reference") -> list[Checker]:
    """Build one checker per spec, index-aligned. ``kwargs_list=None`` means no parameters."""
    constraint_ids = list(constraint_ids)
    kwargs_list = [{}] * len(constraint_ids) if kwargs_list is None else list(kwargs_list)
    if len(kwargs_list) != len(constraint_ids):
        raise ConstraintError(f"{len(kwargs_list)} kwargs objects for {len(constraint_ids)} "
                              "constraint ids (they must be index-aligned)", field="kwargs")
    return [build(cid, kw, prompt=prompt, semantics=semantics, index=i)
            for i, (cid, kw) in enumerate(zip(constraint_ids, kwargs_list))]
