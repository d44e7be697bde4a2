"""How the dashboard draws a reading. Edit this file while the dashboard runs under
``python -m limeade run main.py`` and save it: the running program uses the new code at once,
including the ``Gauge`` instances it already holds."""


def status_line(name: str, value: float) -> str:
    """The text part of one reading."""
    return f"{name}: {value:5.1f}"


class Gauge:
    """A horizontal bar for a value between 0 and 100."""

    def __init__(self, width: int = 20) -> None:
        self.width = width
        self.renders = 0

    def render(self, value: float) -> str:
        self.renders += 1
        filled = round(max(0.0, min(value, 100.0)) / 100 * self.width)
        return "[" + "#" * filled + "." * (self.width - filled) + "]"
