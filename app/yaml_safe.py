"""YAML for files people upload or write: anchors and aliases are refused, so
a small file cannot expand into gigabytes (the "billion laughs")."""

from __future__ import annotations

import yaml


class NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(None, None, "anchors (&name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def load(text: str):
    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506  (a SafeLoader subclass)


def compose(text: str):
    return yaml.compose(text, Loader=NoAliasLoader)


def line_of(root, loc) -> int:
    """The 1-based line of the deepest part of `loc` (keys and list indexes,
    as in a pydantic error) found in the composed YAML `root`."""
    node, line = root, 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
