"""Code actions. "Anvil: Insert passing RTL" (or spec-only mode's "Insert unverified RTL"): a
WorkspaceEdit that creates or replaces the output file, offered while the spec and testbench are as
they were when the RTL passed (shown disabled with the reason otherwise), and its fallback command
for clients that cannot create files. While a spec-only run waits on a question, one quick fix per
value (:mod:`lsp_server.questions`) and the command they send, ``anvil.answer``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import from_fs_path, to_fs_path

from engine import DesignError
from engine.designs import design_for

from .features import Anvil
from .state import Passing, design_key, text_hash


def code_actions(anvil: Anvil, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    path = Path(to_fs_path(params.text_document.uri) or params.text_document.uri)
    try:
        design = design_for(path, workspace=anvil.workspace_root)
    except DesignError:
        return []
    if design is None or not (design.complete or design.spec_only) or \
            path not in (design.spec, design.testbench, design.reference):
        return []
    generate = lsp.CodeAction(title="Anvil: Generate RTL from spec", kind=lsp.CodeActionKind.Source,
                              command=lsp.Command(title="Anvil: Generate RTL from spec", command="anvil.generate",
                                                  arguments=[{"uri": params.text_document.uri}]))
    actions = [*anvil.questions.actions(design, params.text_document.uri), generate]
    passing = anvil.passing.get(design_key(design))
    if passing is None:
        return actions
    title = f"Anvil: Insert {'passing' if passing.verified else 'unverified'} RTL ({passing.evidence})"
    changed = []
    if text_hash(anvil.text_of(design.spec_file) or "") != passing.spec_hash:
        changed.append("the spec")
    if design.complete and text_hash(anvil.text_of(design.judge_file) or "") != passing.tb_hash:
        changed.append("the reference" if design.by_reference else "the testbench")
    if changed:
        caps = anvil._caps().text_document
        if caps and caps.code_action and caps.code_action.disabled_support:
            why = lsp.CodeActionDisabled(
                reason=f"{' and '.join(changed)} changed since the passing run; generate again")
            actions.insert(0, lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, disabled=why))
        return actions
    actions.insert(0, _insert_action(anvil, title, passing))
    return actions


def _insert_action(anvil: Anvil, title: str, passing: Passing) -> lsp.CodeAction:
    target = passing.design.output
    uri = from_fs_path(str(target))
    current = anvil.text_of(target)
    ws = anvil._caps().workspace
    edit_caps = ws.workspace_edit if ws else None
    can_create = bool(edit_caps and edit_caps.document_changes and edit_caps.resource_operations
                      and lsp.ResourceOperationKind.Create in edit_caps.resource_operations)
    whole = _whole_range(current or "")
    replace = lsp.TextEdit(range=whole, new_text=passing.code)
    kind = lsp.CodeActionKind.QuickFix
    if can_create:
        changes: list[lsp.TextDocumentEdit | lsp.CreateFile | lsp.RenameFile | lsp.DeleteFile] = []
        if current is None:
            changes.append(lsp.CreateFile(uri=uri, options=lsp.CreateFileOptions(ignore_if_exists=True)))
        changes.append(lsp.TextDocumentEdit(
            text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None), edits=[replace]))
        return lsp.CodeAction(title=title, kind=kind, edit=lsp.WorkspaceEdit(document_changes=changes))
    if current is not None:
        return lsp.CodeAction(title=title, kind=kind, edit=lsp.WorkspaceEdit(changes={uri: [replace]}))
    # the client cannot create files through an edit: the server writes it when the user picks this
    return lsp.CodeAction(title=title, kind=kind, command=lsp.Command(
        title=title, command="anvil.insert", arguments=[{"uri": from_fs_path(str(passing.design.spec))}]))


async def insert(anvil: Anvil, args: tuple[Any, ...]) -> dict[str, Any]:
    """The fallback of the insert action: write the passing (or spec-only mode's unverified) RTL,
    only on the user's action."""
    try:
        design = anvil.design_of(args, spec_only=True)
    except DesignError as exc:
        return {"status": "error", "message": str(exc)}
    passing = anvil.passing.get(design_key(design))
    if passing is None:
        return {"status": "error", "message": f"no passing RTL for {design.name}; generate first"}
    if anvil.text_of(design.output) is not None:
        edit = lsp.WorkspaceEdit(changes={from_fs_path(str(design.output)): [
            lsp.TextEdit(range=_whole_range(anvil.text_of(design.output) or ""), new_text=passing.code)]})
        result = await anvil.server.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(edit=edit))
        return {"status": "pass" if result.applied else "error", "uri": from_fs_path(str(design.output))}
    design.output.parent.mkdir(parents=True, exist_ok=True)
    with design.output.open("x", encoding="utf-8") as out:  # never replaces a file
        out.write(passing.code)
    return {"status": "pass", "uri": from_fs_path(str(design.output))}


def _whole_range(text: str) -> lsp.Range:
    lines = text.split("\n")
    return lsp.Range(start=lsp.Position(line=0, character=0),
                     end=lsp.Position(line=len(lines) - 1, character=len(lines[-1])))


def answer(anvil: Anvil, args: tuple[Any, ...]) -> dict[str, Any]:
    """``anvil.answer [{"uri": spec, "key": K, "value": V}]``: answer the question waiting on the
    spec (the quick fixes send this); ``"value": null`` stops asking."""
    try:
        design = anvil.design_of(args, spec_only=True)
    except DesignError as exc:
        return {"status": "error", "message": str(exc)}
    return anvil.questions.answer(design, args[0] if isinstance(args[0], dict) else {})
