"""Sweeps on a Ray cluster (``anvil bench --executor ray``): each (problem, arm) is a task.

The driver ships each task's problem as text (prompt, testbench, reference), so the nodes need
no shared folder. A worker is a Ray actor holding one :class:`Runtime` for all its tasks (the
embedded model starts once per worker, not per task) with its own one-at-a-time oracle, and it
writes no ledger: it returns the outcome and the run's engine events, and the driver alone
records them, in the ledger and the sweep's store. Resume, the summary, pass@k and the plots are
therefore exactly the local executor's.

A task lost with its worker (killed, out of memory, node gone) is retried once on a new worker,
then reported as lost; a task that raises on its worker (Icarus missing on that node) is
reported with the reason. Neither is stored as an outcome, so the next run of the sweep tries
them again. Files named by the provider settings (a replay recording, a .gguf) must be at the
same path on every node, and Anvil installed there (``scripts/setup.sh``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.doctor import Check
from engine.ledger import Ledger
from engine.run import Runtime
from engine.settings import RunSettings
from oracle import Oracle
from oracle.scratch import process_dir

from .benchmark import Arm, DatasetProblem, judged_by
from .outcomes import Outcome, OutcomeStore


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached."""


AUTH_HINT = ("; a cluster started with token authentication (Ray's default since 2.59) needs RAY_AUTH_MODE=token "
             "here too, and its token in ~/.ray/auth_token or $RAY_AUTH_TOKEN")


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable("the Ray executor needs Ray: pip install 'anvil-rtl[ray]'") from None
    return ray


@dataclass(frozen=True)
class TaskSpec:
    problem: str
    arm: Arm
    tag: str
    #: file name -> text: NAME_prompt.txt, NAME_test.sv, NAME_ref.sv
    files: dict[str, str]
    testbench: str  # the driver's path of the testbench (for the ledger's manifest)

    @classmethod
    def of(cls, item: DatasetProblem, arm: Arm, sweep: str) -> TaskSpec:
        files = {p.name: p.read_text(encoding="utf-8", errors="replace")
                 for p in (item.prompt, item.testbench, item.reference)}
        return cls(item.name, arm, f"{sweep}:{item.name}:{arm.name}", files, str(item.testbench))


@dataclass(frozen=True)
class TaskDone:
    outcome: Outcome
    events: list[ev.Event]
    node: str


@dataclass(frozen=True)
class TaskFailed:
    problem: str
    arm: str
    reason: str
    lost: bool  # the worker died (twice); else the task raised


def node_name() -> str:
    return f"{socket.gethostname()} (pid {os.getpid()})"


class SweepWorker:
    """The body of a Ray worker (plain Python, so it runs without Ray too)."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.runtime: Runtime | None = None

    def _runtime(self) -> Runtime:
        if self.runtime is None:
            from engine.doctor import simulator_checks

            found = simulator_checks()[0]
            if not found.ok:
                raise RuntimeError(f"Icarus Verilog is not installed on {socket.gethostname()}: {found.detail} "
                                   f"(fix: {found.fix}, or scripts/setup.sh, on every node)")
            oracle = Oracle(timeout_s=self.settings.timeout, workers=1)  # one core per worker
            self.runtime = Runtime(self.settings, oracle=oracle, record=False)
        return self.runtime

    async def pid(self) -> int:
        return os.getpid()

    async def run(self, spec: TaskSpec) -> TaskDone:
        runtime = self._runtime()
        events: list[ev.Event] = []
        with tempfile.TemporaryDirectory(prefix="task-", dir=process_dir()) as folder:
            for name, text in spec.files.items():
                (Path(folder) / name).write_text(text, encoding="utf-8")
            paths = sorted(Path(folder).iterdir())
            by_end = {end: next(p for p in paths if p.name.endswith(end))
                      for end in ("_prompt.txt", "_test.sv", "_ref.sv")}
            item = DatasetProblem(spec.problem, by_end["_prompt.txt"], by_end["_test.sv"], by_end["_ref.sv"])
            outcome = await judged_by(item, spec.arm, runtime, listeners=[events.append], tag=spec.tag)
        return TaskDone(outcome, events, node_name())

    async def close(self) -> None:
        if self.runtime is not None:
            await self.runtime.aclose()
            self.runtime = None


@dataclass
class RaySweep:
    """What a sweep on Ray did."""

    outcomes: list[Outcome] = field(default_factory=list)
    failures: list[TaskFailed] = field(default_factory=list)
    retried: int = 0
    workers: int = 0
    startup_s: float = 0.0  # connecting (or starting a local Ray) and starting the workers


def record(ledger: Ledger, spec: TaskSpec, done: TaskDone) -> None:
    """The worker's run, in the driver's ledger, as if it had run here."""
    listener = ledger.listener(tag=spec.tag)
    for event in done.events:
        if isinstance(event, ev.RunStarted):
            event = replace(event, manifest={**event.manifest, "testbench": spec.testbench, "node": done.node})
        listener(event)


def lost_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """Ray's ways of saying the worker (or its node) went away with the task."""
    names = ("RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError", "OwnerDiedError",
             "LocalRayletDiedError")
    return tuple(getattr(ray.exceptions, n) for n in names if hasattr(ray.exceptions, n))


async def ray_sweep(dataset: Sequence[DatasetProblem], arm_list: Sequence[Arm], settings: RunSettings, *,
                    store: OutcomeStore, ledger: Ledger, name: str = "", address: str | None = None,
                    workers: int | None = None, on_outcome: Callable[[Outcome], None] | None = None,
                    on_note: Callable[[str], None] | None = None) -> RaySweep:
    """Run every (problem, arm) the store does not have yet on Ray workers; ``address`` None
    starts a local Ray for this sweep (``workers`` CPUs, default all), else connects
    (``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``)."""
    ray = import_ray()
    note = on_note or (lambda text: None)
    done = store.done()
    pending = deque((TaskSpec.of(item, arm, name), 1) for item in dataset for arm in arm_list
                    if (item.name, arm.name) not in done)
    report = RaySweep()
    if not pending:
        return report
    started = time.monotonic()
    own = not ray.is_initialized()
    if own:
        try:
            options = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
            if address:
                ray.init(address=address, **options)
            else:
                ray.init(address="local", num_cpus=workers, **options)  # a new one, not a running one
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = address or "a local Ray"
            raise RayUnavailable(f"cannot reach the Ray cluster at {where}: {exc}{AUTH_HINT}") from None
    lost = lost_errors(ray)
    actor_class = ray.remote(num_cpus=1, max_restarts=0)(SweepWorker)
    count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    count = min(count, len(pending))
    pool = [actor_class.remote(settings) for _ in range(count)]
    report.workers = count
    try:
        await asyncio.to_thread(ray.get, [a.pid.remote() for a in pool])
    except lost as exc:
        raise RayUnavailable(f"the Ray workers did not start: {exc}") from None
    report.startup_s = time.monotonic() - started
    note(f"ray: {count} workers ready in {report.startup_s:.1f} s "
         f"({'local Ray' if address is None else address}; {len(pending)} tasks)")
    idle = list(pool)
    inflight: dict[Any, tuple[TaskSpec, Any, int]] = {}  # ref -> (spec, actor, attempt)
    try:
        while pending or inflight:
            while idle and pending:
                spec, attempt = pending.popleft()
                actor = idle.pop()
                inflight[actor.run.remote(spec)] = (spec, actor, attempt)
            ready, _ = await asyncio.to_thread(ray.wait, list(inflight), num_returns=1, timeout=0.5)
            for ref in ready:
                spec, actor, attempt = inflight.pop(ref)
                try:
                    result: TaskDone = await asyncio.to_thread(ray.get, ref)
                except lost as exc:
                    ray.kill(actor, no_restart=True)
                    replacement = actor_class.remote(settings)
                    pool[pool.index(actor)] = replacement
                    idle.append(replacement)
                    why = str(exc).splitlines()[0]
                    if attempt == 1:
                        report.retried += 1
                        note(f"  {spec.problem:<34} {spec.arm.name:<15} lost with its worker ({why}); retrying once")
                        pending.appendleft((spec, 2))
                    else:
                        failed = TaskFailed(spec.problem, spec.arm.name, f"lost with its worker twice ({why})", True)
                        report.failures.append(failed)
                        note(f"  {spec.problem:<34} {spec.arm.name:<15} LOST: {failed.reason}")
                    continue
                except ray.exceptions.RayTaskError as exc:
                    idle.append(actor)
                    cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                    failed = TaskFailed(spec.problem, spec.arm.name, f"{type(cause).__name__}: {cause}", False)
                    report.failures.append(failed)
                    note(f"  {spec.problem:<34} {spec.arm.name:<15} FAILED on its worker: {failed.reason}")
                    continue
                idle.append(actor)
                record(ledger, spec, result)
                store.add(result.outcome)
                report.outcomes.append(result.outcome)
                if on_outcome:
                    on_outcome(result.outcome)
    finally:
        for ref in inflight:
            try:
                ray.cancel(ref)
            except Exception:  # noqa: BLE001 - the actors are killed next anyway
                pass
        for actor in pool:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:  # noqa: BLE001
                pass
        if own:
            ray.shutdown()
    return report


def node_checks(address: str) -> list[tuple[str, bool, str]]:
    """``anvil doctor --ray ADDRESS``: on every alive node, is Icarus there (name, ok, detail)."""
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    own = not ray.is_initialized()
    if own:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayUnavailable(f"cannot reach the Ray cluster at {address}: {exc}{AUTH_HINT}") from None
    try:
        def check() -> tuple[str, bool, str]:
            from engine.doctor import simulator_checks

            found = simulator_checks()[0]
            return socket.gethostname(), found.ok, found.detail if found.ok else f"{found.detail} (fix: {found.fix})"

        nodes = [n for n in ray.nodes() if n.get("Alive")]
        remote_check = ray.remote(num_cpus=0)(check)
        refs = [remote_check.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
                .remote() for n in nodes]
        found = []
        for node, ref in zip(nodes, refs):
            try:
                host, ok, detail = ray.get(ref, timeout=120)
                found.append((f"{host} {node.get('NodeManagerAddress', '')}", ok, detail))
            except Exception as exc:  # noqa: BLE001 - a node that cannot run the check is reported
                found.append((node.get("NodeManagerAddress", "?"), False, f"the check did not run: {exc}"))
        return found
    finally:
        if own:
            ray.shutdown()


__all__ = ["RaySweep", "RayUnavailable", "SweepWorker", "TaskDone", "TaskFailed", "TaskSpec", "cluster_checks",
           "node_checks", "ray_sweep"]


def cluster_checks(address: str) -> list[Check]:
    """Icarus on every alive node of the Ray cluster at ``address``."""
    try:
        found = node_checks(address)
    except RayUnavailable as exc:
        return [Check("ray cluster", False, str(exc), "ray start --head (see the README's cluster section)")]
    return [Check(f"node {name}", ok, detail, "sudo apt-get install iverilog on that node (or scripts/setup.sh)")
            for name, ok, detail in found] or [Check("ray cluster", False, f"no alive nodes at {address}")]
