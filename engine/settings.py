"""Run settings, declared once: defaults, types, limits and help text.

The command line's options (:func:`add_arguments`), the language server's ``anvil``
configuration section (:func:`from_editor`, camelCase keys) and the VS Code extension's
``contributes.configuration`` (:func:`editor_schema`, checked against ``package.json`` by a test)
are all derived from :class:`RunSettings`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .patch import PatchBudget
from .prompts import Feedback
from .providers import PROVIDERS, ProviderSettings
from .values import Budget, Policy, Strategy

# groups of the command line's help
PROVIDER, STRATEGY, PATCH, SIMULATION, OUTPUT = ("model provider", "strategy and budget", "patch search", "simulation",
                                                 "output")


def _setting(default: Any, *, help: str, group: str, flag: str | None = None, key: str | None = None,
             minimum: float | None = None, exclusive: bool = False, choices: tuple[str, ...] | None = None,
             editor: bool = True, metavar: str | None = None) -> Any:
    """A setting: ``flag`` for the command line (default ``--name-with-dashes``), ``key`` for
    editors (default camelCase of the name), ``minimum`` (``exclusive``: strictly greater)."""
    return field(default=default, metadata=dict(help=help, group=group, flag=flag, key=key, minimum=minimum,
                                                exclusive=exclusive, choices=choices, editor=editor,
                                                metavar=metavar))


@dataclass(frozen=True)
class RunSettings:
    provider: str = _setting("local", group=PROVIDER, choices=tuple(PROVIDERS), help=(
        "Model provider: the embedded local model (default), any OpenAI-compatible endpoint (OpenAI, vLLM, "
        "llama.cpp, Ollama), Anthropic, or a replay recording."))
    model: str | None = _setting(None, group=PROVIDER, help=(
        "Model name. Local: qwen2.5-coder-1.5b (default), qwen2.5-coder-0.5b or a .gguf path. Replay: the "
        "recording file."))
    base_url: str | None = _setting(None, group=PROVIDER, help="Endpoint URL, e.g. http://localhost:11434/v1 for "
                                                                "Ollama.")
    api_key_env: str | None = _setting(None, group=PROVIDER, metavar="NAME", help=(
        "Name of the environment variable that holds the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY); "
        "the key itself is never a setting."))
    call_timeout: float | None = _setting(None, group=PROVIDER, minimum=0, exclusive=True, metavar="S", help=(
        "Wall-clock limit per model call, in seconds (default 180). The local model streams its answer: this "
        "bounds the wait for the first token (default 600), and after it a call is cut only when no token "
        "has come for 120 s, so a long answer on busy cores is not cut for its length."))
    samples: int = _setting(4, group=STRATEGY, minimum=1, help="Candidates sampled first.")
    rounds: int = _setting(3, group=STRATEGY, minimum=0, help="Repair rounds after the first samples.")
    repair_width: int = _setting(2, group=STRATEGY, minimum=1, help="Candidates repaired per round.")
    budget: int | None = _setting(None, group=STRATEGY, minimum=1, metavar="CALLS", help=(
        "Most model calls per run (default: samples + rounds x repair width)."))
    token_budget: int | None = _setting(None, group=STRATEGY, minimum=1, metavar="TOKENS",
                                        help="Most tokens per run (prompt + answer).")
    time_budget: float | None = _setting(None, group=STRATEGY, minimum=0, exclusive=True, metavar="S",
                                         help="Most wall time per run, in seconds.")
    temperature: float = _setting(0.8, group=STRATEGY, minimum=0, help="Sampling temperature.")
    repair_temperature: float | None = _setting(None, group=STRATEGY, minimum=0, help=(
        "Temperature of repair requests (default: the sampling temperature)."))
    seed: int = _setting(0, group=STRATEGY, minimum=0, help="Seed of the first sample (later ones count up).")
    feedback: str = _setting("vectors", group=STRATEGY, choices=tuple(f.value for f in Feedback), help=(
        "What repair prompts show: the failing vectors (default), a summary, or nothing (for ablations)."))
    max_tokens: int = _setting(1024, group=STRATEGY, minimum=1, help="Answer length limit per model call.")
    policy: str = _setting("fixed", group=STRATEGY, choices=tuple(p.value for p in Policy), help=(
        "How repair rounds spend calls: repair the best candidates (fixed), or sample more while the best is far "
        "from passing and repair once it is near (adaptive)."))
    prefer: str = _setting("pass", group=STRATEGY, choices=("pass", "area"), help=(
        "Which passing design to answer: the first (pass), or, sampling on within the budget after a pass, the "
        "one with the fewest cells after synthesis, latch- and loop-free ones first (area; needs yosys)."))
    synth: str = _setting("off", group=SIMULATION, choices=("on", "off"), help=(
        "After a pass, synthesise the design with yosys (cells, flip-flops, latches, loops, what synthesis "
        "drops) and lint it with Verilator; reported beside the verdict, never changing it."))
    patch: str = _setting("on", group=PATCH, choices=("on", "off"), help=(
        "After each round, edit the best failing candidates mechanically (literals, operators, conditions, "
        "resets...) and keep what the simulator says is better, before another model call is spent."))
    patch_simulations: int = _setting(1000, group=PATCH, minimum=0, metavar="N",
                                      help="Most simulations per patched candidate.")
    patch_seconds: float = _setting(20.0, group=PATCH, minimum=0, metavar="S",
                                    help="Most wall time per patched candidate, in seconds.")
    patch_width: int = _setting(2, group=PATCH, minimum=1, help="Candidates patched per round.")
    patch_depth: int = _setting(3, group=PATCH, minimum=1, help="Edits stacked on one candidate at most.")
    timeout: float = _setting(30.0, group=SIMULATION, minimum=0, exclusive=True, metavar="S",
                              help="Simulation time limit per candidate, in seconds.")
    record: Path | None = _setting(None, group=PROVIDER, metavar="FILE", editor=False,
                                   help="Append every model call to FILE (for --provider replay).")
    reuse: Path | None = _setting(None, group=PROVIDER, metavar="FILE", editor=False, help=(
        "Answer from the recording FILE the requests it holds (the same messages, temperature and seed), "
        "and call the model for the others: a benchmark's arms then share the samples they ask alike."))
    ledger: Path | None = _setting(None, group=OUTPUT, editor=False, help=(
        "SQLite run ledger (default $ANVIL_LEDGER, else ~/.local/share/anvil/ledger.sqlite)."))

    # -- what the engine takes -------------------------------------------------------------

    def strategy(self) -> Strategy:
        return Strategy(samples=self.samples, rounds=self.rounds, repair_width=self.repair_width,
                        temperature=self.temperature, repair_temperature=self.repair_temperature, seed=self.seed,
                        feedback=Feedback(self.feedback),
                        max_tokens=self.max_tokens, patch=self.patch_budget(), patch_width=self.patch_width,
                        policy=Policy(self.policy), prefer=self.prefer)

    def patch_budget(self) -> PatchBudget | None:
        if self.patch != "on":
            return None
        return PatchBudget(simulations=self.patch_simulations, seconds=self.patch_seconds, depth=self.patch_depth)

    def budget_limits(self) -> Budget:
        return Budget(calls=self.budget, tokens=self.token_budget, wall_s=self.time_budget)

    def provider_settings(self) -> ProviderSettings:
        return ProviderSettings(provider=self.provider, model=self.model, base_url=self.base_url,
                                api_key_env=self.api_key_env, timeout_s=self.call_timeout, record=self.record,
                                reuse=self.reuse)

    @property
    def local(self) -> bool:
        return self.provider == "local"


SETTINGS = tuple(fields(RunSettings))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


Setting = Field[Any]


def editor_key(f: Setting) -> str:
    key: str | None = f.metadata["key"]
    return key or _camel(f.name)


def cli_flag(f: Setting) -> str:
    flag: str | None = f.metadata["flag"]
    return flag or "--" + f.name.replace("_", "-")


def _kind(f: Setting) -> type:
    """The setting's value type: int, float, str or Path (None is always allowed where the
    default is None)."""
    text = str(f.type)
    for name, kind in (("int", int), ("float", float), ("Path", Path)):
        if text.startswith(name):
            return kind
    return str


def check_value(f: Setting, value: Any) -> Any:
    """``value`` as the setting's type, or ValueError saying what is wrong."""
    kind, meta = _kind(f), f.metadata
    if value is None or value == "":
        if f.default is None:
            return None
        raise ValueError("must be set")
    if meta["choices"]:
        if value not in meta["choices"]:
            raise ValueError(f"must be one of {', '.join(meta['choices'])}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("must be a finite number")
        value = float(value)
    elif kind is Path:
        if not isinstance(value, (str, Path)):
            raise ValueError("must be a path")
        return Path(value)
    elif not isinstance(value, str):
        raise ValueError("must be a string")
    minimum = meta["minimum"]
    if minimum is not None and (value <= minimum if meta["exclusive"] else value < minimum):
        raise ValueError(f"must be {'>' if meta['exclusive'] else '>='} {minimum:g}")
    return value


# -- the command line ---------------------------------------------------------------------------

def _parser_type(f: Setting) -> Callable[[str], Any]:
    kind = _kind(f)

    def parse(text: str) -> Any:
        try:
            value = kind(text) if kind is not str else text
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a {'whole number' if kind is int else 'number'}") from None
        try:
            return check_value(f, value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = kind.__name__
    return parse


def add_arguments(parser: argparse.ArgumentParser, *, groups: tuple[str, ...] = (PROVIDER, STRATEGY, PATCH, SIMULATION),
                  include: tuple[str, ...] = (), defaults: dict[str, Any] | None = None) -> None:
    """Options for the settings of ``groups`` and those named in ``include``, with their help
    and limits."""
    made: dict[str, argparse._ArgumentGroup] = {}
    for f in SETTINGS:
        meta = f.metadata
        if meta["group"] not in groups and f.name not in include:
            continue
        group = made.get(meta["group"]) or made.setdefault(meta["group"], parser.add_argument_group(meta["group"]))
        default = (defaults or {}).get(f.name, f.default)
        shown = "" if default is None else f" (default {default})"
        kwargs: dict[str, Any] = dict(dest=f.name, default=default, help=meta["help"].rstrip(".") + shown)
        if meta["choices"]:
            kwargs["choices"] = meta["choices"]
            if meta["choices"] == ("on", "off"):  # --patch alone: on
                kwargs.update(nargs="?", const="on")
        else:
            kwargs["type"] = _parser_type(f)
        if meta["metavar"]:
            kwargs["metavar"] = meta["metavar"]
        group.add_argument(cli_flag(f), **kwargs)


def from_args(args: argparse.Namespace, base: RunSettings = RunSettings()) -> RunSettings:
    """Settings from parsed options (those the parser did not define keep ``base``'s values)."""
    return replace(base, **{f.name: getattr(args, f.name) for f in SETTINGS if hasattr(args, f.name)})


# -- editors ------------------------------------------------------------------------------------

#: keys an editor may send in the section that are not run settings (the extension's own)
EDITOR_OWN = ("server", "trace")


def from_editor(raw: Any, base: RunSettings = RunSettings()) -> tuple[RunSettings, list[str]]:
    """Settings from a client's JSON object (camelCase keys), and one message per value that was
    ignored (it keeps ``base``'s value)."""
    problems: list[str] = []
    if raw is None:
        return base, problems
    if not isinstance(raw, dict):
        return base, [f"anvil settings must be an object, got {type(raw).__name__}; using defaults"]
    if isinstance(raw.get("anvil"), dict):  # {"anvil": {...}} as some clients send it
        raw = raw["anvil"]
    known = {editor_key(f): f for f in SETTINGS if f.metadata["editor"]}
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        f = known.get(key) if isinstance(key, str) else None
        if f is None:
            if key not in EDITOR_OWN:
                problems.append(f"unknown setting anvil.{str(key)[:60]} ignored")
            continue
        try:
            changes[f.name] = check_value(f, value)
        except ValueError as exc:
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            problems.append(f"anvil.{key} = {shown} {exc}; using {getattr(base, f.name)!r}")
    return replace(base, **changes), problems


def editor_schema() -> dict[str, dict[str, Any]]:
    """The ``contributes.configuration.properties`` entries of the run settings (VS Code)."""
    out: dict[str, dict[str, Any]] = {}
    for f in SETTINGS:
        meta = f.metadata
        if not meta["editor"]:
            continue
        kind = _kind(f)
        json_type = {int: "integer", float: "number"}.get(kind, "string")
        entry: dict[str, Any] = {"type": [json_type, "null"] if f.default is None and kind in (int, float)
                                 else json_type}
        entry["default"] = ("" if kind is str else None) if f.default is None else f.default
        if meta["choices"]:
            entry["enum"] = list(meta["choices"])
        if meta["minimum"] is not None:
            entry["exclusiveMinimum" if meta["exclusive"] else "minimum"] = meta["minimum"]
        entry["description"] = meta["help"]
        out[f"anvil.{editor_key(f)}"] = entry
    return out


__all__ = ["RunSettings", "SETTINGS", "add_arguments", "check_value", "editor_schema", "from_args", "from_editor"]
