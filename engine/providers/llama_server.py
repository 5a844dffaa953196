"""Child process that serves a GGUF model with llama.cpp's built-in HTTP server (xllamacpp).

    python -m engine.providers.llama_server --model M.gguf [--threads N] [--parallel N] [--ctx N]
        [--spec none|ngram|draft] [--draft D.gguf] [--poll 0-100] [--kv-unified]

Prints one JSON line ``{"url": "http://127.0.0.1:PORT"}`` on stdout once the model is loaded,
then serves until its standard input reaches end of file: when the parent exits, even by
SIGKILL, the pipe closes and this process stops. llama.cpp's own log goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

SPECULATION = ("none", "ngram", "draft")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--ctx", type=int, default=4096, help="context per parallel slot")
    parser.add_argument("--spec", choices=SPECULATION, default="none",
                        help="speculative decoding: none; ngram (drafts from the prompt and the answer so "
                             "far: a repair re-emits most of the code it was shown); draft (a smaller model)")
    parser.add_argument("--draft", help="--spec draft: the draft model's GGUF file")
    parser.add_argument("--poll", type=int, default=0,
                        help="how much llama.cpp's threads busy-wait for work (0: they sleep, which keeps them "
                             "from collapsing when other processes share the cores); the wheel's llama.cpp is "
                             "built with OpenMP, whose threads spin unless told otherwise: 0 also makes them "
                             "passive")
    parser.add_argument("--kv-unified", action="store_true", help="one KV cache shared by the slots")
    args = parser.parse_args()
    if args.poll == 0:  # read by the OpenMP runtime when the library loads: before the import
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        os.environ["GOMP_SPINCOUNT"] = "0"
    try:
        import xllamacpp
    except ImportError as exc:
        print(json.dumps({"error": f"xllamacpp is not installed ({exc}): pip install 'anvil-rtl[local]'"}),
              flush=True)
        return 1
    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.port = 0  # a free loopback port
    params.n_parallel = args.parallel
    params.n_ctx = args.ctx * args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.cpuparams.poll = args.poll
    params.cpuparams_batch.poll = args.poll
    params.kv_unified = args.kv_unified
    if args.spec == "ngram":
        params.speculative.types = [xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE]
    elif args.spec == "draft":
        if not args.draft:
            print(json.dumps({"error": "--spec draft needs --draft MODEL.gguf"}), flush=True)
            return 1
        params.speculative.types = [xllamacpp.common_speculative_type.COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE]
        params.speculative.draft.mparams.path = args.draft
        params.speculative.draft.cpuparams.n_threads = args.threads
        params.speculative.draft.cpuparams_batch.n_threads = args.threads
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:  # noqa: BLE001 - the native side reports load failures as exceptions
        print(json.dumps({"error": f"llama.cpp could not load {args.model}: {exc}"}), flush=True)
        return 1
    print(json.dumps({"url": server.listening_address}), flush=True)
    try:
        sys.stdin.buffer.read()  # until the parent closes the pipe or exits
    except KeyboardInterrupt:
        pass
    del server
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
