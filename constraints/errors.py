"""Errors raised while building constraints from (id, kwargs) specs."""

from __future__ import annotations


class ConstraintError(ValueError):
    """A constraint spec that cannot be built: unknown id or invalid parameters.

    ``index`` is the constraint's position in its list (ids repeat, so the position is what names
    it), ``field`` the offending parameter when there is one.
    """

    def __init__(self, message: str, *, constraint_id: str | None = None,
                 index: int | None = None, field: str | None = None) -> None:
        self.constraint_id = constraint_id
        self.index = index
        self.field = field
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.index is not None:
            where.append(f"constraint {self.index}")
        if self.constraint_id:
            where.append(repr(self.constraint_id))
        if self.field:
            where.append(f"field {self.field!r}")
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class UnknownConstraint(ConstraintError):
    pass
