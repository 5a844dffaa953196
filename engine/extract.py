"""Pulling Verilog out of a model's answer.

Handles fenced blocks (```verilog, ```systemverilog, ```sv, bare ```), reasoning models'
``<think>...</think>`` and ``<answer>...</answer>``, unterminated fences, and prose around
the code. Keeps every ``module ... endmodule`` needed (helper modules included), and drops
testbench modules the model may have added.
"""

from __future__ import annotations

import re

from oracle import DEFAULT_TOP

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_ANSWER = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_MODULE = re.compile(r"^[ \t]*(?:module|macromodule)\s+(?:automatic\s+|static\s+)?([A-Za-z_][\w$]*)"
                     r".*?^[ \t]*endmodule\b[^\n]*", re.DOTALL | re.MULTILINE)
_TESTBENCH_NAME = re.compile(r"(^tb$|^tb_|_tb$|testbench|^test_|_test$)", re.IGNORECASE)
_PRELUDE = re.compile(r"^\s*(`(?:timescale|default_nettype|define|include)[^\n]*)$", re.MULTILINE)


def strip_reasoning(text: str) -> str:
    text = _THINK.sub("", text)
    answers = _ANSWER.findall(text)
    return "\n".join(answers) if answers else text


def extract_verilog(text: str, top: str = DEFAULT_TOP) -> str | None:
    """The design code in ``text``, or None when there is no module at all."""
    body = strip_reasoning(text)
    blocks = [code for _, code in _FENCE.findall(body) if _MODULE.search(code)]
    sources = blocks or [body]
    modules: list[tuple[str, str]] = []
    seen: set[str] = set()
    for source in sources:
        for match in _MODULE.finditer(source):
            name = match.group(1)
            if name in seen:
                # a later block redefines it: keep the last version (models restate fixed code)
                modules = [(n, c) for n, c in modules if n != name]
            seen.add(name)
            modules.append((name, match.group(0).strip()))
    if not modules:
        return None
    if any(n == top for n, _ in modules):
        modules = [(n, c) for n, c in modules if n == top or not _TESTBENCH_NAME.search(n)]
    prelude = []
    for source in sources:
        first = _MODULE.search(source)
        head = source[: first.start()] if first else ""
        prelude += [m.group(1).strip() for m in _PRELUDE.finditer(head) if "include" not in m.group(1)]
    head = "\n".join(dict.fromkeys(prelude))
    body = "\n\n".join(c for _, c in modules)
    return (head + "\n\n" if head else "") + body + "\n"


def normalise(code: str) -> str:
    """Text with comments and whitespace differences removed, for spotting duplicates."""
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.DOTALL)
    code = re.sub(r"//[^\n]*", " ", code)
    return " ".join(code.split())
