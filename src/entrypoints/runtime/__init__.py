"""The long-running processes: serve, worker, scheduler, the embedded background loop and
the job functions the workers run."""
