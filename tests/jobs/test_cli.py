"""`srx jobs run` and `srx jobs status`."""

import json
from datetime import date
from typing import Any

from marketplace.cli import main
from tests.conftest import World
from tests.jobs.conftest import Inbox


def _srx(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(main, list(args))


def test_jobs_run_sends_the_reminders_and_status_counts_the_mail(
    app: Any, world: World, inbox: Inbox
) -> None:
    world.contract_a.plan_due_on = date(2026, 3, 10)
    world.session.add(world.contract_a)
    world.session.commit()
    result = _srx(app, "jobs", "run", "reminders", "--today", "2026-03-09")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["result"]["plan_due"] == 1
    assert [m["Subject"] for m in inbox.to("company-a@test.nl")] == [
        "SRX: Plan van aanpak due tomorrow for A-001"
    ]
    status = json.loads(_srx(app, "jobs", "status").output)
    assert status["mail"].get("sent", 0) >= 1 and "reminders_daily" in status["periodic"]


def test_jobs_run_refuses_an_unknown_job_in_one_line(app: Any) -> None:
    result = _srx(app, "jobs", "run", "everything")
    assert result.exit_code == 2 and "unknown job 'everything'" in result.output
