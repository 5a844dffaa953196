"""Values the server keeps between requests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from engine.designs import Design


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def design_key(design: Design) -> str:
    return f"{design.spec}|{design.testbench or design.reference}"


@dataclass(frozen=True)
class Passing:
    """A passing candidate (or spec-only mode's unverified answer), and what it was judged against."""

    design: Design
    code: str
    spec_hash: str
    tb_hash: str
    evidence: str
    run_id: str
    #: False for spec-only mode's answer: no testbench judged it (offered as "unverified")
    verified: bool = True
