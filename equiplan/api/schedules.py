"""(placeholder: filled in by the schedules work of issue 4)"""
