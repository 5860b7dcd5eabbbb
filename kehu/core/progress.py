"""Progress of a background run, written to its row for the page's progress bar."""

from collections.abc import Callable

from django.db import models

Report = Callable[[str, int], None]


def stage_progress(
    model: type[models.Model], run_id: int, also: Report | None = None, *, step: int = 5
) -> Report:
    """A ``report(stage, percent)`` that writes the run's ``stage`` and ``progress`` when the
    stage changes or the percentage has grown by ``step`` (not on every call: a run reports
    thousands of times), and passes every call on to ``also`` (a command's console bar)."""
    last = ("", -step * 2)

    def report(stage: str, percent: int) -> None:
        nonlocal last
        if also is not None:
            also(stage, percent)
        if stage != last[0] or percent >= last[1] + step:
            last = (stage, percent)
            model._default_manager.filter(pk=run_id).update(stage=stage, progress=percent)

    return report
