"""A pickle reader that builds numpy arrays, numbers and plain containers, and nothing else.

For files like the RL Zoo's `vecnormalize.pkl` (a pickled VecNormalize): the few classes such a
file names (VecNormalize, RunningMeanStd, gymnasium spaces, numpy's random generators) are never
imported; each becomes a `Record` holding the arguments and state the pickle gives it, which is
plain data. numpy arrays and scalars are rebuilt by numpy's own reconstructors. Any other global
the pickle asks for (os.system, builtins.eval, any class) is refused, naming it, before anything
is called.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np

from tinyrl.errors import CheckpointError

# numpy's own array and scalar reconstruction (numpy 2 moved numpy.core to numpy._core).
_MULTIARRAY = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
NUMPY_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    **{
        (module, name): getattr(_MULTIARRAY, name)
        for module in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")
    },
}
PLAIN_GLOBALS = {("collections", "OrderedDict"): dict, ("builtins", "set"): set, ("builtins", "frozenset"): frozenset}


class Record:
    """A stand-in for an object of a recorded class: its class name, constructor arguments and state."""

    __slots__ = ("class_name", "args", "state")

    def __init__(self, class_name: str, args: tuple = ()):
        self.class_name, self.args, self.state = class_name, args, {}

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and all(isinstance(s, dict | None) for s in state):
            state = {**(state[0] or {}), **(state[1] or {})}  # (dict state, slots state)
        self.state = state

    def get(self, key: str, default: Any = None) -> Any:
        return self.state.get(key, default) if isinstance(self.state, dict) else default


def _record_class(class_name: str) -> type:
    """A class whose construction (NEWOBJ, or a REDUCE call) makes a Record, running no code of the original."""

    class Recorded(Record):
        __slots__ = ()

        def __new__(cls, *args, **kwargs):  # NEWOBJ calls only __new__; a REDUCE call, __new__ then __init__
            record = Record.__new__(cls)
            Record.__init__(record, class_name, args)
            return record

        def __init__(self, *args, **kwargs):
            pass

    Recorded.__name__ = class_name
    return Recorded


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, recorded: frozenset[tuple[str, str]], packages: tuple[str, ...]):
        super().__init__(io.BytesIO(data))
        self.recorded, self.packages = recorded, packages

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key in NUMPY_GLOBALS:
            return NUMPY_GLOBALS[key]
        if key in PLAIN_GLOBALS:
            return PLAIN_GLOBALS[key]
        if key in self.recorded or any(module == p or module.startswith(f"{p}.") for p in self.packages):
            return _record_class(f"{module}.{name}")
        raise pickle.UnpicklingError(f"global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids")


def restricted_loads(
    data: bytes, recorded: frozenset[tuple[str, str]], where: str, packages: tuple[str, ...] = ()
) -> Any:
    """The pickle's content, built only from numpy arrays, numbers, plain containers and Records of the
    `recorded` (module, class) pairs and of any global in `packages`; a CheckpointError naming `where` and
    the refused global otherwise."""
    try:
        return _RestrictedUnpickler(data, recorded, packages).load()
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{where}: refused: the pickle asks for {exc}, which this reader never imports or calls "
            f"(it builds numpy arrays, numbers and plain containers only)"
        ) from None
    except Exception as exc:  # truncated or garbage pickles fail in many ways: all mean "unreadable"
        raise CheckpointError(f"{where}: not a readable pickle (truncated or corrupt?): {exc!r}") from None
