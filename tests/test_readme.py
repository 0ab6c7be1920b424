"""Every fenced block of README.md, run or checked: the README's commands and queries cannot
rot unnoticed.

The blocks run in order against a fresh demo, as `make run` serves it: `cadre db upgrade`
and `cadre seed --demo` in a scratch directory (links to the repository's files, its own
``var/``), then `cadre serve` there; the README's ``127.0.0.1:8000`` is read as that
server's address. What each kind of block gets is described in README ("The README is
tested"); a block of an unknown kind, or without one, fails.
"""

import asyncio
import json
import os
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
import typer
import yaml
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse, print_ast
from pydantic import AliasChoices

from api.auth import TokenSubject, issue_token
from api.cli import app as cli_app
from api.settings import DEVELOPMENT_SECRET, Settings
from tests.api.processes import wait_for

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_ADDRESS = "127.0.0.1:8000"
NOT_RUN = re.compile(r"^(?:#|--|//) not run by the README test: \S")
SHELLS = ("sh", "bash", "shell")
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
#: Variables read outside api.settings: the image's entrypoint.
OTHER_VARIABLES = {"CADRE_SEED_DEMO"}
SEED_SIZE = 300
#: What the scratch server runs with: the development secret, no CADRE_ variable set.
DEMO_SETTINGS = Settings(env="development", jwt_secret=DEVELOPMENT_SECRET,
                         jwt_issuer="cadre-records")


class Block(NamedTuple):
    line: int  # of the opening fence, 1-based
    kind: str
    text: str


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, indentation removed."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, kind = len(opening.group(1)), opening.group(2)
        body = []
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][indent:])
            index += 1
        if index == len(lines):
            raise AssertionError(f"README.md: the block at line {index - len(body)} is not "
                                 "closed")
        found.append(Block(index - len(body), kind, "\n".join(body) + "\n"))
        index += 1
    return found


def how(block: Block) -> str:
    """What the test does with a block: run, check, parse or read; fails for the others."""
    marked = bool(NOT_RUN.match(block.text.lstrip().splitlines()[0])) if block.text.strip() \
        else False
    if block.kind == "graphql":
        return "run"
    if block.kind in SHELLS:
        return "check" if marked else "run"
    if block.kind in ("json", "text"):
        return "read"
    if block.kind and marked:
        return "check"
    raise AssertionError(
        f"README.md line {block.line}: a ```{block.kind} block is neither run nor marked: "
        "use graphql or sh (run), json or text (read), or begin it with the comment "
        "'not run by the README test: REASON' (#, -- or //; see README, 'The README is "
        "tested')")


ALL_BLOCKS = blocks(README.read_text(encoding="utf-8"))


# -- Offline checks --------------------------------------------------------------------------

def logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "--"))]


def segments(line: str) -> list[list[str]]:
    """The simple commands of a shell line, as words (split at && || ; | $( and ))."""
    parts = re.split(r"&&|\|\||;|\s\|\s|\$\(|\)|^\(", line)
    words = []
    for part in parts:
        try:
            found = shlex.split(part, comments=True)
        except ValueError:
            found = part.split()
        words.append([word for word in found if word not in ("(", ")")])
    return [found for found in words if found]


def command_words(words: list[str]) -> list[str]:
    """The words from the command's name on, past variable assignments (``A=b cmd``)."""
    index = 0
    while index < len(words) and re.match(r"^[A-Za-z_]\w*=", words[index]):
        index += 1
    return words[index:]


def check_cadre(arguments: list[str], where: str) -> None:
    """``cadre ARGUMENTS`` names a command of the CLI and only options it has."""
    command: Any = typer.main.get_command(cli_app)  # groups have ``commands``
    words = [word for word in arguments if word not in ("[", "]")]
    position = 0
    while hasattr(command, "commands") and position < len(words):
        sub = command.commands.get(words[position])
        assert sub is not None, f"{where}: `cadre` has no command {words[position]!r}"
        command, position = sub, position + 1
    assert not hasattr(command, "commands"), f"{where}: `cadre {' '.join(words)}` is " \
                                             "incomplete"
    options = {"--help"}
    for parameter in command.params:
        options.update(parameter.opts)
        options.update(getattr(parameter, "secondary_opts", []))
    for word in words[position:]:
        for option in re.findall(r"--[a-z][a-z-]*", word.split("=")[0]):
            assert option in options, f"{where}: `cadre {command.name}` has no {option}"


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, re.MULTILINE))


def compose_services(path: Path) -> set[str]:
    return set(yaml.safe_load(path.read_text(encoding="utf-8"))["services"])


def setting_names() -> set[str]:
    names = set(OTHER_VARIABLES)
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        else:
            names.add(f"CADRE_{field.upper()}")
    return names


def check_offline(block: Block) -> None:
    """What can be checked of a block without running it."""
    where = f"README.md line {block.line}"
    for variable in re.findall(r"\bCADRE_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_…])", block.text):
        assert variable in setting_names(), f"{where}: {variable} is not a setting"
    if block.kind not in (*SHELLS, "text"):
        return
    for line in logical_lines(block.text):
        for words in segments(line):
            check_words(command_words(words), where)


def check_words(words: list[str], where: str) -> None:
    if not words:
        return
    name = Path(words[0]).name
    if name == "cadre":
        check_cadre(words[1:], where)
    elif name == "make":
        targets = [word for word in words[1:] if not word.startswith("-") and "=" not in word]
        assert set(targets) <= makefile_targets(), f"{where}: no make target in {targets}"
    elif name == "docker" and words[1:2] == ["compose"]:
        check_compose(words, where)
    elif name == "kubectl":
        for index, word in enumerate(words):
            if word == "-f":
                assert (ROOT / words[index + 1]).is_file(), f"{where}: no {words[index + 1]}"


def check_compose(words: list[str], where: str) -> None:
    files = [words[index + 1] for index, word in enumerate(words) if word == "-f"]
    assert files, f"{where}: name the compose file with -f"
    for file in files:
        assert (ROOT / file).is_file(), f"{where}: no {file}"
    if "exec" in words:
        rest = words[words.index("exec") + 1:]
        assert "-T" in rest, f"{where}: `docker compose exec` without -T (no terminal in " \
                             "scripts; a terminal adds a carriage return to what is captured)"
        flags = 0
        while flags < len(rest) and rest[flags].startswith("-"):
            flags += 1
        service, command = rest[flags], rest[flags + 1:]
        assert service in compose_services(ROOT / files[0]), f"{where}: no service {service}"
        if command and command[0] == "cadre":
            check_cadre(command[1:], where)


# -- Running ---------------------------------------------------------------------------------

class Demo(NamedTuple):
    folder: Path
    address: str  # host:port
    environment: dict[str, str]
    tokens: dict[str, str]


def clean_environment() -> dict[str, str]:
    """The environment of a reader's shell: no test database, Redis or settings of ours."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("CADRE_")
                   and key not in ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    return environment


def cadre(demo_folder: Path, environment: dict[str, str], *arguments: str) -> str:
    completed = subprocess.run([str(Path(sys.executable).parent / "cadre"), *arguments],
                               cwd=demo_folder, env=environment, capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


async def seed(url: str) -> None:
    from db.engine import create_engine, create_sessionmaker
    from db.seed import seed_demo

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed_demo(session, size=SEED_SIZE)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`make run` in a scratch directory: migrated by `cadre db upgrade`, seeded (in process,
    a smaller demo), served by `cadre serve`."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the README runs on its own SQLite demo: once, in the SQLite pass")
    folder = tmp_path_factory.mktemp("readme")
    for entry in ROOT.iterdir():
        if entry.name not in ("var", ".git", ".venv"):
            (folder / entry.name).symlink_to(entry)
    (folder / ".venv").symlink_to(Path(sys.prefix))
    environment = clean_environment()
    cadre(folder, environment, "db", "upgrade")
    with ThreadPoolExecutor(1) as pool:  # a loop of its own: the tests' loop may be running
        pool.submit(asyncio.run, seed(f"sqlite+aiosqlite:///{folder / 'var' / 'cadre.db'}")
                    ).result()
    port = unused_port()
    log = (folder / "var" / "server.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "cadre"), "serve", "--port",
                               str(port)], cwd=folder, env=environment, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        assert server.poll() is None, "the demo server did not start: another took its port?"
        yield Demo(folder, f"127.0.0.1:{port}", environment, {})
    finally:
        server.terminate()
        server.wait(15)
        log.close()


def unused_port() -> int:
    """A port the system has just handed out: not in a fixed range that other test runs on
    this machine may be using too."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def token(demo: Demo, username: str) -> str:
    """A token as `cadre token issue USERNAME` prints it (signed in process: quicker)."""
    if username not in demo.tokens:
        with closing(sqlite3.connect(demo.folder / "var" / "cadre.db")) as database:
            row = database.execute("SELECT id, token_generation FROM users WHERE username = ?",
                                   (username,)).fetchone()
        assert row is not None, f"no demo account {username}"
        demo.tokens[username] = issue_token(DEMO_SETTINGS, TokenSubject(*row))
    return demo.tokens[username]


def run_graphql(demo: Demo, block: Block) -> None:
    where = f"README.md line {block.line}"
    header = re.findall(r"^#\s*(as|expect)\s+(\S+)", block.text, re.MULTILINE)
    username = next((value for key, value in header if key == "as"), "demo-org")
    expected = next((value for key, value in header if key == "expect"), None)
    found = re.search(r"^#\s*variables\s+(\{.*\})\s*$", block.text, re.MULTILINE)
    variables = json.loads(found.group(1)) if found else {}
    document = parse(block.text)
    fragments = [node for node in document.definitions
                 if isinstance(node, FragmentDefinitionNode)]
    operations = [node for node in document.definitions
                  if isinstance(node, OperationDefinitionNode)]
    assert operations, f"{where}: no operation"
    for operation in operations:
        query = "\n".join(print_ast(node) for node in [operation, *fragments])
        response = httpx.post(f"http://{demo.address}/graphql",
                              json={"query": query, "variables": variables},
                              headers={"Authorization": f"Bearer {token(demo, username)}"},
                              timeout=30)
        body = response.json()
        codes = {error["extensions"]["code"] for error in body.get("errors") or []}
        assert response.status_code == 200, (where, body)
        assert body.get("data") is not None, (where, body)
        if expected is None:
            assert not codes, (where, query, body["errors"])
        else:
            assert codes == {expected}, (where, query, body.get("errors"))


def run_shell(demo: Demo, block: Block) -> None:
    script = "set -euo pipefail\n" + block.text.replace(README_ADDRESS, demo.address)
    completed = subprocess.run(["bash", "-c", script], cwd=demo.folder, env=demo.environment,
                               capture_output=True, text=True, timeout=300, check=False)
    where = f"README.md line {block.line}"
    assert completed.returncode == 0, (where, completed.stdout, completed.stderr)
    assert '"errors"' not in completed.stdout, (where, completed.stdout)


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[f"line{b.line}-{b.kind or 'none'}"
                                                   for b in ALL_BLOCKS])
def test_readme_block(block: Block, request: pytest.FixtureRequest) -> None:
    action = how(block)
    if block.kind != "json":
        check_offline(block)
    if block.kind == "json":
        json.loads(block.text)
    if action == "run":
        demo: Any = request.getfixturevalue("demo")
        (run_graphql if block.kind == "graphql" else run_shell)(demo, block)


def test_the_error_table_names_every_code_with_its_status() -> None:
    from api.errors import HTTP_STATUS

    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", README.read_text(encoding="utf-8"),
                           re.MULTILINE))
    # NOT_ACCEPTABLE has a status but no answer carries it (every Accept gets JSON).
    assert set(HTTP_STATUS) - {"NOT_ACCEPTABLE"} <= set(rows)
    for code, statuses in rows.items():
        if code in HTTP_STATUS:
            assert set(re.findall(r"\b[1-5]\d\d\b", statuses)) <= {"200", str(HTTP_STATUS[code])}, \
                (code, statuses)


def test_the_keycloak_example_gives_tokens_the_audience_the_api_is_told_to_expect() -> None:
    text = README.read_text(encoding="utf-8")
    realm = next(json.loads(block.text) for block in ALL_BLOCKS
                 if block.kind == "json" and "oidc-audience-mapper" in block.text)
    (audience,) = re.findall(r"^export CADRE_OIDC_AUDIENCE=(\S+)$", text, re.MULTILINE)
    clients = {client["clientId"]: client for client in realm["clients"]}
    (mapper,) = clients["cadre-web"]["protocolMappers"]
    assert mapper["config"]["included.client.audience"] == audience
    assert mapper["config"]["access.token.claim"] == "true"
    assert audience in clients  # the audience names a client of the realm
    assert clients["cadre-web"]["attributes"]["pkce.code.challenge.method"] == "S256"


# -- The test's own rules --------------------------------------------------------------------

@pytest.mark.parametrize("fence, body", [("```", "make run\n"), ("```python", "print(1)\n"),
                                         ("```sql", "SELECT 1;\n"),
                                         ("```ts", "// run it\nawait client.query()\n")])
def test_a_block_neither_run_nor_marked_fails(fence: str, body: str) -> None:
    (block,) = blocks(f"text\n\n{fence}\n{body}```\n")
    with pytest.raises(AssertionError, match="neither run nor marked"):
        how(block)


def test_blocks_are_found_indented_and_classified() -> None:
    found = blocks("a\n  ```sql\n  -- not run by the README test: needs PostgreSQL\n"
                   "  SELECT 1;\n  ```\n```sh\n# not run by the README test: Docker\nls\n```\n"
                   "```sh\nls\n```\n")
    assert [(block.line, block.kind, how(block)) for block in found] == [
        (2, "sql", "check"), (6, "sh", "check"), (10, "sh", "run")]


@pytest.mark.parametrize("line, complaint", [
    ("cadre token revoke demo-org", "no command 'revoke'"),
    ("cadre token issue demo-org --days 3", "has no --days"),
    (".venv/bin/cadre user", "incomplete"),
    ("docker compose -f docker/compose.yaml exec api cadre seed --demo", "without -T"),
    ("docker compose -f docker/compose.yaml exec -T web cadre seed --demo", "no service web"),
    ("make deploy", "no make target"),
    ("CADRE_NO_SUCH_SETTING=1 cadre serve", "not a setting"),
    ("kubectl apply -f deploy/kubernetes/missing.yaml", "no deploy/kubernetes/missing.yaml"),
])
def test_offline_checks_refuse_what_does_not_exist(line: str, complaint: str) -> None:
    block = Block(1, "sh", f"# not run by the README test: example\n{line}\n")
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        check_offline(block)
