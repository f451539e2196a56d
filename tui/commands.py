"""The command palette (ctrl+p): every action once, every setting, and typed assignments.

Built from the run's schema: ``lr = 0.05`` or ``layers = 8,8,4`` is parsed by
the setting's own parser, so the palette accepts exactly what ``--set`` does
and says why when it does not.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from scenarios.settings import SettingError


def setting_commands(run, set_value, nudge):
    """(title, help, callback) for each value a setting's keys can reach, and each toggle."""
    for s in run.schema.settings:
        if s.type is bool:
            yield f"Toggle {s.name}", s.help, partial(nudge, s.name, 1)
            continue
        cycle = run.cycle_values(s)
        options = (cycle if cycle is not None else s.values) if s.type is str else s.ladder
        for v in options:
            yield f"Set {s.name} = {s.format(v)}", s.help, partial(set_value, s.name, v)


class RunCommands(Provider):
    """Actions and settings of the open scenario."""

    def _entries(self):
        app = self.app
        yield from app.action_commands()
        yield from setting_commands(app.scenario, app.set_value, app.action_nudge)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        assigned = self._assignment(query)
        if assigned is not None:
            yield assigned
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)

    def _assignment(self, query: str) -> Hit | None:
        """``name = value`` typed in full: one hit that sets it, or one that says why it cannot."""
        if "=" not in query:
            return None
        name, _, raw = query.partition("=")
        name, raw = name.strip(), raw.strip()
        schema = self.app.scenario.schema
        if name not in schema.by_name or not raw:
            return None
        try:
            value = schema[name].parse(raw)
        except SettingError as exc:
            return Hit(1.0, f"✗ {exc}", partial(self.app.say, str(exc), "error"), text=str(exc))
        shown = f"Set {name} = {schema[name].format(value)}"
        return Hit(1.0, shown, partial(self.app.set_value, name, value), text=shown, help=schema[name].help)
