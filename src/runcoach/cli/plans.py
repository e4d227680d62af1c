"""``runcoach plans``: list the plans."""

from __future__ import annotations

import typer

from runcoach.cli._common import _reporting, app


@app.command("plans")
def plans_list() -> None:
    """List the built-in plans."""
    with _reporting():
        from runcoach.plans.loader import builtin_plan_names, load_plan
        from runcoach.plans.model import format_seconds
        from runcoach.timeline import resolve

        for name in builtin_plan_names():
            plan = load_plan(name)
            session = resolve(plan)
            typer.echo(f"{name:<16} {format_seconds(session.total_seconds):>8}  {plan.name}")
