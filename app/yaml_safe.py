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
