"""Running engine jobs: one per design at a time, each cancellable from anywhere.

`$/cancelRequest` on workspace/executeCommand answers the client but does not stop the
coroutine, so cancellation goes through this registry: cancelling a job cancels its task,
which cancels model calls and kills simulations.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("anvil.lsp")


@dataclass
class Job:
    id: str
    kind: str  # "generate" | "check"
    design_key: str
    name: str
    task: asyncio.Task[dict[str, Any]] | None = None
    token: str | int | None = None  # work-done progress token
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> asyncio.Task[dict[str, Any]]:
        """The job's task (started by :meth:`Jobs.start`)."""
        if self.task is None:
            raise RuntimeError(f"job {self.id} was never started")
        return self.task

    def cancel(self) -> bool:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            return True
        return False


class Busy(Exception):
    def __init__(self, job: Job) -> None:
        super().__init__(f"{job.name} is already being generated (job {job.id}); cancel it or wait")
        self.job = job


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)

    def start(self, kind: str, design_key: str, name: str,
              coro_factory: Callable[[Job], Coroutine[Any, Any, dict[str, Any]]]) -> Job:
        """Register and start a job; refuses a second generate on the same design."""
        for job in self._jobs.values():
            if job.design_key == design_key and job.kind == "generate" and kind == "generate":
                raise Busy(job)
        job = Job(id=f"{kind}-{next(self._ids)}", kind=kind, design_key=design_key, name=name)
        task = job.task = asyncio.get_running_loop().create_task(coro_factory(job))
        self._jobs[job.id] = job
        jid = job.id
        task.add_done_callback(lambda _t: self._finished(jid))
        return job

    def _finished(self, job_id: str) -> None:
        job = self._jobs.pop(job_id, None)
        if job is not None and job.task is not None and not job.task.cancelled() and job.task.exception():
            log.error("job %s failed", job_id, exc_info=job.task.exception())

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def running(self) -> list[Job]:
        return list(self._jobs.values())

    def cancel(self, job_id: str | None = None, *, token: str | int | None = None) -> list[str]:
        """Cancel one job (by id or by its progress token), or all of them; the ids cancelled."""
        if token is not None:
            targets = [job for job in self._jobs.values() if job.token == token]
        else:
            targets = [self._jobs[job_id]] if job_id in self._jobs else ([] if job_id else list(self._jobs.values()))
        return [job.id for job in targets if job.cancel()]

    async def drain(self) -> None:
        jobs = list(self._jobs.values())
        tasks = [job.task for job in jobs if job.task is not None]
        for job in jobs:
            job.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
