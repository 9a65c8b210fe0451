"""SQLModel table classes. Importing this package registers every table on `metadata`."""

from equiplan.models.agency import Agency, Site
from equiplan.models.audit import AuditEvent
from equiplan.models.base import metadata, utcnow
from equiplan.models.calibration import CalibrationPoint, CalibrationResult
from equiplan.models.equipment import Equipment, EquipmentModel, EquipmentType
from equiplan.models.notification import Notification, OutboxMessage
from equiplan.models.planning import BudgetScenario, OptimisationRun
from equiplan.models.schedule import Schedule
from equiplan.models.scheduler_job import SchedulerJob
from equiplan.models.status_snapshot import StatusSnapshot
from equiplan.models.user import ApiToken, User
from equiplan.models.work import FailureCode, WorkOrder

__all__ = [
    "Agency",
    "ApiToken",
    "AuditEvent",
    "BudgetScenario",
    "CalibrationPoint",
    "CalibrationResult",
    "Equipment",
    "EquipmentModel",
    "EquipmentType",
    "FailureCode",
    "Notification",
    "OptimisationRun",
    "OutboxMessage",
    "Schedule",
    "SchedulerJob",
    "Site",
    "StatusSnapshot",
    "User",
    "WorkOrder",
    "metadata",
    "utcnow",
]
