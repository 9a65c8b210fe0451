"""The scheduler registers its jobs under fixed ids with catch-up-once semantics."""

from equiplan import create_app
from equiplan.scheduler import JOBS, build_scheduler


def test_jobs_have_fixed_unique_ids_and_coalesce(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "INSTANCE_PATH": str(tmp_path)}
    )
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    ids = [job.id for job in scheduler.get_jobs()]
    assert ids == [spec.id for spec in JOBS]
    assert len(set(ids)) == len(ids)
    assert "outbox-flush" in ids
    for job in scheduler.get_jobs():
        assert job.coalesce is True
        assert job.max_instances == 1
    scheduler.shutdown(wait=False)
