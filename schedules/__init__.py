"""Scheduled work: job functions `job(session, now)` and the scheduler process (`python -m schedules`)."""
