"""YAML loading that remembers where every value came from, so errors can name file, line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sumoctl.errors import SumoctlError

Loc = tuple[str | int, ...]


@dataclass
class YamlDocument:
    path: Path
    data: Any
    # 1-based (line, column) of every value and of every mapping key, by its path in the document.
    positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def position(self, loc: Loc) -> tuple[int, int]:
        """The position of `loc`, or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.positions:
                return self.positions[loc]
            loc = loc[:-1]
        return self.positions.get((), (1, 1))


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_yaml(path: Path, display: str | None = None) -> YamlDocument:
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SumoctlError(f"cannot read file: {err.strerror}", shown) from None
    except UnicodeDecodeError:
        raise SumoctlError("file is not UTF-8 text", shown) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        doc = YamlDocument(path=path, data=None)
        if node is not None:
            doc.data = _construct(loader, node, (), doc.positions, shown)
        return doc
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise SumoctlError(f"invalid YAML: {err.problem or err.context}", shown, line, col) from None
    except yaml.YAMLError as err:
        raise SumoctlError(f"invalid YAML: {err}", shown) from None
    finally:
        loader.dispose()


def _construct(loader: yaml.SafeLoader, node: yaml.Node, loc: Loc, positions: dict, shown: str) -> Any:
    positions[loc] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                line, col = _mark(key_node)
                raise SumoctlError("mapping keys must be plain scalars", shown, line, col)
            if key in result:
                line, col = _mark(key_node)
                raise SumoctlError(f"duplicate key {key!r}", shown, line, col)
            result[key] = _construct(loader, value_node, loc + (key,), positions, shown)
            positions[loc + (key,)] = _mark(key_node)
            positions[loc + (key, "__value__")] = _mark(value_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, loc + (i,), positions, shown) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
