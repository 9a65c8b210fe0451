"""The operational-state rule of domain.md."""

from equiplan.domain.status import NotOperationalReason, operational_state


def test_in_service_and_nothing_wrong_is_operational() -> None:
    state = operational_state(
        "in_service", calibration_overdue=False, open_corrective_downtime=False
    )
    assert state.operational
    assert state.reasons == ()


def test_every_reason_is_reported() -> None:
    state = operational_state("in_repair", calibration_overdue=True, open_corrective_downtime=True)
    assert not state.operational
    assert state.reasons == (
        NotOperationalReason.NOT_IN_SERVICE,
        NotOperationalReason.CALIBRATION_OVERDUE,
        NotOperationalReason.OPEN_DOWNTIME,
    )


def test_overdue_calibration_alone_makes_it_not_operational() -> None:
    state = operational_state(
        "in_service", calibration_overdue=True, open_corrective_downtime=False
    )
    assert not state.operational
    assert state.reasons == (NotOperationalReason.CALIBRATION_OVERDUE,)


def test_open_downtime_alone_makes_it_not_operational() -> None:
    state = operational_state(
        "in_service", calibration_overdue=False, open_corrective_downtime=True
    )
    assert state.reasons == (NotOperationalReason.OPEN_DOWNTIME,)
