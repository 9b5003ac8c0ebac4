import os
import tempfile

# Before anything imports marketplace.jobs: the job queue runs its jobs where they are enqueued, in memory, in
# every test; a test that switches immediate mode off gets its SQLite storage in the temporary folder.
os.environ.setdefault("JOBS_IMMEDIATE", "1")
os.environ.setdefault(
    "JOBS_SQLITE_PATH", os.path.join(tempfile.gettempdir(), f"srx-test-jobs-{os.getpid()}.sqlite3")
)
