"""Spec-only mode in the editor: a spec with neither a testbench nor a reference.

The candidates judge each other (:mod:`engine.speconly`). Where the two largest groups disagree,
the question waits on the spec as a diagnostic, with one quick fix per value the candidates give
and one that stops asking; the chosen value resolves the waiting question (``anvil.answer``),
is kept as a test vector in ``X_questions_tb.sv`` beside the spec, and the run re-ranks and goes
on. The answer is offered as "Insert unverified RTL": never called a pass.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path

from engine.consensus import Question, SpecOnlyError, literal
from engine.designs import Design
from engine.run import Runtime
from engine.settings import RunSettings
from engine.speconly import Ask, SpecOnlyResult, SpecOnlySetup
from engine.values import call_budget
from oracle import Oracle

from .convert import SOURCE
from .jobs import Job
from .locate import spec_line
from .progress import Progress
from .state import Passing, design_key, text_hash

#: the diagnostic code of a question waiting for an answer
QUESTION = "anvil-question"


class Host(Protocol):
    """What spec-only mode needs of the server's state."""

    @property
    def server(self) -> LanguageServer: ...

    @property
    def settings(self) -> RunSettings: ...

    @property
    def oracle(self) -> Oracle: ...

    @property
    def passing(self) -> dict[str, Passing]: ...

    def notify(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None: ...

    def logline(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None: ...

    def text_of(self, path: Path) -> str | None: ...

    def publish(self, key: str, per_file: dict[Path, list[lsp.Diagnostic]]) -> None: ...


@dataclass
class Waiting:
    """A question on a design's spec, waiting for the user's value (None: stop asking)."""

    question: Question
    answer: asyncio.Future[str | None]
    diagnostic: lsp.Diagnostic


class Questions:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.waiting: dict[str, Waiting] = {}

    # -- the run ---------------------------------------------------------------------------------

    async def generate(self, job: Job, design: Design, setup: SpecOnlySetup, token: str | int | None) -> dict[str, Any]:
        from engine.providers import ProviderError

        host = self.host
        spec_name = design.spec_file.name
        progress = Progress(host, job, f"Anvil: generating {spec_name} (spec-only)", token)
        done: SpecOnlyResult | None = None
        async with Runtime(host.settings, oracle=host.oracle) as runtime:
            try:
                model = runtime.provider.model
            except ProviderError as exc:
                host.notify(f"Anvil: {exc}", lsp.MessageType.Error)
                return {"status": "error", "job": job.id, "message": str(exc)}
            await progress.begin(call_budget(host.settings.strategy(), host.settings.budget_limits()))
            try:
                done = await runtime.spec_only(setup.problem, setup.answers, ask=self._asker(design, setup, progress),
                                               keep=lambda answers: answers.write(setup.kept, spec_name),
                                               listeners=[progress.on_event])
            except SpecOnlyError as exc:  # the kept answers and a new one contradict each other
                host.notify(f"Anvil: {design.name}: {exc}", lsp.MessageType.Error)
                return {"status": "error", "job": job.id, "message": str(exc)}
            finally:
                progress.end(done.result if done is not None else None)
        return self._report(job, design, setup, done, model)

    def _report(self, job: Job, design: Design, setup: SpecOnlySetup, done: SpecOnlyResult,
                model: str) -> dict[str, Any]:
        host, result, best = self.host, done.result, done.answer
        kept = setup.kept
        base = {"job": job.id, "output_uri": from_fs_path(str(design.output)), "llm_calls": result.calls,
                "run_id": result.run_id, "candidates": len(result.candidates), "reason": result.reason,
                "agree": done.agree, "usable": done.usable, "groups": [list(g) for g in done.groups],
                "answers": done.answers, "asked": [q.to_dict() for q in done.asked],
                "answers_uri": from_fs_path(str(kept)) if kept.exists() else None}
        if result.status.fault:
            host.notify(f"Anvil: {result.reason}", lsp.MessageType.Error)
            return {"status": "error", **base, "message": result.reason}
        kept_note = f"; your {done.answers} answer(s) are kept in {kept.name}, an ordinary testbench" \
            if done.answers else ""
        if best is None or best.code is None:
            host.notify(f"Anvil: {design.name} not solved: {result.reason} ({result.calls} calls{kept_note}).",
                        lsp.MessageType.Warning)
            return {"status": "fail", **base}
        evidence = f"{result.reason.removeprefix('unverified: ')}, {done.answers} answer(s), {model}"
        host.passing[design_key(design)] = Passing(design, best.code, text_hash(setup.problem.spec), "", evidence,
                                                   result.run_id, verified=False)
        host.notify(f"Anvil: {design.name}: {result.reason} ({result.calls} calls{kept_note}). No testbench judged "
                    f"it. The code action \"Anvil: Insert unverified RTL\" on the spec writes {design.output.name}.",
                    lsp.MessageType.Warning)
        return {"status": "unverified", **base}

    def _asker(self, design: Design, setup: SpecOnlySetup, progress: Progress) -> Ask:
        key = design_key(design)

        async def ask(question: Question) -> str | None:
            text = question.describe(setup.clocked)
            waiting = Waiting(question, asyncio.get_running_loop().create_future(),
                              self._diagnostic(design, question, text))
            self.waiting[key] = waiting
            self.host.publish(key + "|question", {design.spec_file: [waiting.diagnostic]})
            self.host.notify(f"Anvil: {design.name}: the candidates disagree. Question {question.key}: {text} "
                             "Answer with a quick fix on the spec (one per value), or stop asking there.")
            progress.say(f"waiting for your answer to question {question.key} (quick fix on the spec)")
            try:
                return await waiting.answer
            finally:
                if self.waiting.get(key) is waiting:
                    del self.waiting[key]
                self.host.publish(key + "|question", {design.spec_file: []})

        return ask

    def _diagnostic(self, design: Design, question: Question, text: str) -> lsp.Diagnostic:
        """The question, on the spec line about the signal it asks about (locate.spec_line)."""
        lines = (self.host.text_of(design.spec_file) or "").splitlines() or [""]
        line = spec_line(lines, question.signal)
        return lsp.Diagnostic(
            range=lsp.Range(start=lsp.Position(line=line, character=0),
                            end=lsp.Position(line=line, character=len(lines[line]))),
            message=f"Anvil question {question.key}: {text}", severity=lsp.DiagnosticSeverity.Information,
            code=QUESTION, source=SOURCE, data={"key": question.key})

    # -- answering -------------------------------------------------------------------------------

    def answer(self, design: Design, arg: dict[str, Any]) -> dict[str, Any]:
        """``{"key": K, "value": V}`` answers the waiting question K; ``"value": null`` stops asking."""
        waiting = self.waiting.get(design_key(design))
        if waiting is None or waiting.answer.done():
            return {"status": "not_found", "message": f"no question about {design.name} is waiting for an answer"}
        key, value = arg.get("key"), arg.get("value")
        if key != waiting.question.key:
            return {"status": "not_found", "message": f"question {str(key)[:40]} is not the one asked about "
                                                      f"{design.name} (question {waiting.question.key})"}
        if value is None:
            waiting.answer.set_result(None)
            return {"status": "stopped", "key": key}
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return {"status": "error", "message": "the value must be a string such as \"4'h3\", \"3\" or \"x\""}
        try:
            literal(str(value), waiting.question.width)
        except SpecOnlyError as exc:
            return {"status": "error", "message": str(exc)}
        waiting.answer.set_result(str(value))
        return {"status": "answered", "key": key, "value": str(value)}

    def actions(self, design: Design, uri: str) -> list[lsp.CodeAction]:
        """One quick fix per value of the question waiting on ``design``, and one to stop asking."""
        waiting = self.waiting.get(design_key(design))
        if waiting is None or waiting.answer.done():
            return []
        q = waiting.question
        out = []
        for value, n in q.choices:
            title = f"Anvil: answer {q.signal} = {value} ({n} candidate{'s' if n != 1 else ''})"
            out.append(lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[waiting.diagnostic],
                                      command=lsp.Command(title=title, command="anvil.answer",
                                                          arguments=[{"uri": uri, "key": q.key, "value": value}])))
        title = "Anvil: stop asking (keep the largest group of candidates)"
        out.append(lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[waiting.diagnostic],
                                  command=lsp.Command(title=title, command="anvil.answer",
                                                      arguments=[{"uri": uri, "key": q.key, "value": None}])))
        return out


__all__ = ["QUESTION", "Questions", "Waiting"]
