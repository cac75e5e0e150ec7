"""Console output shared by all commands: rich progress bars and one-line errors."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

console = Console()
err_console = Console(stderr=True)


@contextlib.contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Callable[[int, int], None]]:
    """Yield ``update(done, total)`` driving a rich progress bar (silent when not a TTY)."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=total)

        def update(done: int, new_total: int) -> None:
            progress.update(task, completed=done, total=new_total)

        yield update
