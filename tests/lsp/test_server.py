"""`tasklint server` driven by pytest-lsp, a real LSP client: open -> diagnostics ->
edit -> updated diagnostics -> code action -> apply the edit -> diagnostics gone.

Run by `scripts/check-lsp` (which makes the virtualenv); TASKLINT_BIN names the binary.
"""

import os
import pathlib
import tempfile

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

TASKLINT = os.environ.get("TASKLINT_BIN", "tasklint")

TASKS = "from celery import shared_task\n\n\n@shared_task\ndef ping(x):\n    return x\n"
VIEWS = (
    "from django.urls import path\n\nfrom .tasks import ping\n\n\n"
    "def home(request):\n    ping(1)\n    return None\n\n\n"
    "urlpatterns = [path('', home)]\n"
)

# A one-view project in a private folder (a git checkout: the configuration search
# stops there). The server writes nothing: every edit below stays in the buffers.
ROOT = pathlib.Path(os.path.realpath(tempfile.mkdtemp(prefix="tasklint-lsp-")))
(ROOT / ".git").mkdir()
(ROOT / "app").mkdir()
(ROOT / "app" / "__init__.py").write_text("")
(ROOT / "app" / "tasks.py").write_text(TASKS)
(ROOT / "app" / "views.py").write_text(VIEWS)
VIEWS_URI = (ROOT / "app" / "views.py").as_uri()
TASKS_URI = (ROOT / "app" / "tasks.py").as_uri()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[TASKLINT, "server"]))
async def client(lsp_client: LanguageClient):
    # The server asks to watch its configuration and source files (the client declares
    # dynamic registration for them); pytest-lsp's client has no handler of its own.
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: types.RegistrationParams):
        client.registrations.extend(params.registrations)

    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=ROOT.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=ROOT.as_uri(), name="project")],
    )
    result = await lsp_client.initialize_session(params)
    assert result.server_info.name == "tasklint"
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    yield
    await lsp_client.shutdown_session()


async def diagnostics_after(client: LanguageClient, uri: str, action):
    """Runs `action`, then waits until diagnostics for `uri` arrive."""
    client.diagnostics.pop(uri, None)
    action()
    while uri not in client.diagnostics:
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return client.diagnostics[uri]


def apply(text: str, edits) -> str:
    """Applies LSP text edits (UTF-16 columns) to a text, as an editor does."""
    lines = text.splitlines(keepends=True)

    def offset(p):
        start = sum(len(line) for line in lines[: p.line])
        line = lines[p.line] if p.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= p.character:
                return start + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return start + len(line)

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


def change(client: LanguageClient, uri: str, version: int, text: str):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_open_edit_code_action_apply(client: LanguageClient):
    diags = await diagnostics_after(
        client,
        VIEWS_URI,
        lambda: client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=VIEWS_URI, language_id="python", version=1, text=VIEWS
                )
            )
        ),
    )
    assert [d.code for d in diags] == ["TL101"]
    d = diags[0]
    assert d.source == "tasklint"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.range.start == types.Position(line=6, character=4)
    assert d.code_description.href.endswith("/rules/TL101.html")
    assert d.related_information[0].location.uri == TASKS_URI

    # An edit in the buffer (a line above the call, with non-ASCII text): the finding
    # moves with it.
    edited = VIEWS.replace("    ping(1)", "    note = 'café ☕'\n    ping(1)")
    diags = await diagnostics_after(client, VIEWS_URI, lambda: change(client, VIEWS_URI, 2, edited))
    assert [d.code for d in diags] == ["TL101"]
    assert diags[0].range.start.line == 7

    # The safe fix, applied as an editor applies a workspace edit.
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=VIEWS_URI),
            range=diags[0].range,
            context=types.CodeActionContext(diagnostics=list(diags)),
        )
    )
    titles = [a.title for a in actions]
    assert titles == ["TL101: enqueue with `.delay()` (safe fix)", "Suppress TL101 on this line"]
    fixed = apply(edited, actions[0].edit.changes[VIEWS_URI])
    assert "    ping.delay(1)\n" in fixed
    diags = await diagnostics_after(client, VIEWS_URI, lambda: change(client, VIEWS_URI, 3, fixed))
    assert list(diags) == []

    # The hover on a finding shows the rule's page.
    diags = await diagnostics_after(client, VIEWS_URI, lambda: change(client, VIEWS_URI, 4, edited))
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=VIEWS_URI),
            position=diags[0].range.start,
        )
    )
    assert hover.contents.value.startswith("# TL101 task-called-directly")

    # The server asked to be told about configuration changes.
    assert [r.method for r in client.registrations] == ["workspace/didChangeWatchedFiles"]

    # Nothing was written to the project.
    assert (ROOT / "app" / "views.py").read_text() == VIEWS


async def test_a_task_edit_updates_the_view(client: LanguageClient):
    def open_(uri, text):
        return lambda: client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )

    diags = await diagnostics_after(client, VIEWS_URI, open_(VIEWS_URI, VIEWS))
    assert [d.code for d in diags] == ["TL101"]
    await diagnostics_after(client, TASKS_URI, open_(TASKS_URI, TASKS))
    plain = TASKS.replace("@shared_task\n", "")
    diags = await diagnostics_after(client, VIEWS_URI, lambda: change(client, TASKS_URI, 2, plain))
    assert list(diags) == []
