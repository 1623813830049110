"""docs/quickstart.md, run as a new user runs it: its shell blocks, as printed, against a server.

The blocks are read out of the markdown, so the test breaks when the page drifts
from the product. Only what a user substitutes is substituted: the port (the
server runs on a free one, set with LZ_PORT), the demo credentials the server
printed, and the client id `admin client create` printed. Each block's output is
compared with the output the page shows after it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import LANDINGZONE, free_port

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "docs" / "quickstart.md"
DOC_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
STEP = re.compile(r"^## (\d+)\. ", re.M)
# Shell variables the page sets in one block and uses in later ones (PATH and
# VIRTUAL_ENV: step 6 activates .venv, and the user's shell stays activated).
CARRIED = ("CLIENT_ID", "CLIENT_SECRET", "LZ", "TOKEN", "PATH", "VIRTUAL_ENV")


@dataclass
class Block:
    step: int
    lang: str
    text: str


def blocks() -> list[Block]:
    text = QUICKSTART.read_text(encoding="utf-8")
    starts = [(m.start(), int(m.group(1))) for m in STEP.finditer(text)]
    found = []
    for match in FENCE.finditer(text):
        step = max((n for at, n in starts if at < match.start()), default=0)
        found.append(Block(step, match.group(1), match.group(2)))
    return found


def after(every: list[Block], block: Block, lang: str) -> Block:
    """The first block of ``lang`` after ``block``: the output the page shows for it."""
    rest = every[every.index(block) + 1 :]
    return next(b for b in rest if b.lang == lang)


def field(text: str, name: str) -> str:
    match = re.search(rf"^\s*{name}:\s+(\S+)$", text, re.M)
    assert match, f"no '{name}:' line in:\n{text}"
    return match.group(1)


class Shell:
    """Runs blocks one by one in a directory, carrying the page's variables between them."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self.state = cwd / ".quickstart-vars"
        self.state.write_text("")
        self.stderr = ""

    def run(self, script: str, expected: int = 0) -> str:
        saved = " ".join(CARRIED)
        wrapped = (
            f"set -eo pipefail\n. {self.state}\n{script}\n"
            f"declare -p {saved} 2>/dev/null > {self.state} || true\n"
        )
        done = subprocess.run(
            ["bash", "-c", wrapped],
            cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == expected, f"exit {done.returncode}:\n{script}\n{done.stderr}"
        self.stderr = done.stderr
        return done.stdout


def test_the_quickstart_as_printed(tmp_path: Path) -> None:
    venv = Path(sys.prefix)
    if venv == Path(sys.base_prefix):
        pytest.skip("the quickstart activates .venv: run the tests from the project's venv")
    every = blocks()
    shell_blocks = [b for b in every if b.lang == "sh"]
    assert [b.step for b in shell_blocks] == [1, 1, 2, 2, 3, 4, 5, 6, 6, 7], "the page changed"

    # Step 1: `make serve` runs `landingzone serve` in the clone; so does this, in a
    # directory of its own, on a free port.
    start = shell_blocks[0]
    assert "make serve" in start.text
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^serve: .*\n\t\$\(BIN\)/landingzone serve$", makefile, re.M)
    home = tmp_path / "landingzone"
    home.mkdir()
    (home / ".venv").symlink_to(venv)  # the clone's .venv, for step 6's activate
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("LZ_")}
    env = {**base, "LZ_PORT": str(port)}
    banner_path = home / "serve.out"
    with banner_path.open("wb") as out, (home / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [LANDINGZONE, "serve"], cwd=home, env=env, stdout=out, stderr=log,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, url, home)
        banner = banner_path.read_text()
        printed = after(every, start, "text").text
        for line in printed.splitlines()[:2]:  # the banner's first lines, word for word
            assert line in banner, f"the page shows {line!r}; the server printed:\n{banner}"
        demo = {name: field(banner, name) for name in ("client_id", "client_secret", "api_key")}
        assert (home / "lz-data").is_dir(), "the data should live in ./lz-data"
        run_the_steps(every, shell_blocks, Shell(home, base), url, demo)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def wait_until_up(server: subprocess.Popen[bytes], url: str, home: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, (home / "serve.log").read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError((home / "serve.log").read_text())


def run_the_steps(
    every: list[Block], shell_blocks: list[Block], shell: Shell, url: str, demo: dict[str, str]
) -> None:
    (_, variables, token_call, token_keep, ask_urls, upload, listing, admin, disable,
     validate) = shell_blocks  # fmt: skip

    # Step 1's variables: the credentials the server printed, and its address.
    doc_id = re.search(r"^CLIENT_ID=(\S+)$", variables.text, re.M)
    doc_secret = re.search(r"^CLIENT_SECRET=(\S+)$", variables.text, re.M)
    assert doc_id and doc_secret and f"LZ={DOC_URL}" in variables.text
    script = (
        variables.text.replace(doc_id.group(1), demo["client_id"])
        .replace(doc_secret.group(1), demo["client_secret"])
        .replace(DOC_URL, url)
    )
    assert shell.run(script) == ""

    # Step 2: a token, with the scopes the page shows.
    answer = json.loads(shell.run(token_call.text))
    shown = json.loads(after(every, token_call, "json").text)
    assert set(answer) == set(shown)
    assert (answer["token_type"], answer["expires_in"]) == (
        shown["token_type"],
        shown["expires_in"],
    )
    assert answer["scope"].split() == shown["scope"].split()
    assert shell.run(token_keep.text) == ""

    # Step 3: one URL per name, in the page's order, on this server.
    urls = json.loads(shell.run(ask_urls.text))
    shown_urls = json.loads(after(every, ask_urls, "json").text)
    assert list(urls) == list(shown_urls)
    for name, signed in urls.items():
        assert signed.startswith(f"{url}/o/log-connector-data/demo/myAppId/{name}?X-Lz-Upload=")
    assert json.loads((shell.cwd / "urls.json").read_text()) == urls

    # Step 4: both PUTs answer 200 with the headers the page shows.
    answered = shell.run(upload.text)
    shown_put = after(every, upload, "text").text.strip().splitlines()
    responses = [r for r in re.split(r"(?=^HTTP/1\.1 )", answered, flags=re.M) if "200 OK" in r]
    assert len(responses) == 2, answered
    status_line, *headers = shown_put
    for response in responses:
        lines = [line.strip().lower() for line in response.strip().splitlines()]
        assert lines[0] == status_line.lower()
        assert {h.split(":")[0].lower() for h in headers} <= {h.split(":")[0] for h in lines[1:]}
    assert all(h.lower() in responses[0].lower() for h in headers)  # foo.json's, as printed
    bar_md5 = hashlib.md5((shell.cwd / "bar.csv").read_bytes()).hexdigest()
    assert f'etag: "{bar_md5}"' in responses[1].lower()
    assert bar_md5 in QUICKSTART.read_text()  # the page names bar.csv's ETag too

    # Step 5: the listing holds what the page says, field for field (but the times).
    listed = json.loads(shell.run(listing.text))
    shown_list = json.loads(after(every, listing, "json").text)
    assert listed["nextCursor"] == shown_list["nextCursor"]
    assert len(listed["files"]) == len(shown_list["files"])
    for got, expected in zip(listed["files"], shown_list["files"], strict=True):
        for key, value in expected.items():
            if key != "uploadedAt":
                assert got[key] == value, (key, got, expected)

    # Step 6: the admin commands, from the same directory as the server.
    created = shell.run(admin.text)
    shown_admin = after(every, admin, "text").text
    secrets = re.compile(r"^(\s+(?:client_id|client_secret|api_key):\s+)\S+$", re.M)
    assert secrets.sub(r"\1X", created).strip() == secrets.sub(r"\1X", shown_admin).strip()
    new_id, new_secret = field(created, "client_id"), field(created, "client_secret")
    token = httpx.post(
        f"{url}/oauth2/token", data={"grant_type": "client_credentials"},
        auth=(new_id, new_secret),
    ).json()["access_token"]  # fmt: skip
    bearer = {"Authorization": f"Bearer {token}"}
    pushed = httpx.get(
        f"{url}/services/push/v1/customer/apps/billing/upload",
        params={"filenames": "a.csv"}, headers=bearer,
    )  # fmt: skip
    assert pushed.status_code == 200, pushed.text  # "exactly as above"
    other = httpx.get(
        f"{url}/services/push/v1/customer/apps/myAppId/upload",
        params={"filenames": "a.csv"}, headers=bearer,
    )  # fmt: skip
    assert other.status_code == 404  # another customer's app

    doc_client = re.search(r"client disable (\S+)", disable.text)
    assert doc_client and doc_client.group(1) == field(shown_admin, "client_id")
    shell.run(disable.text.replace(doc_client.group(1), new_id))
    refused = httpx.get(
        f"{url}/services/push/v1/customer/apps/billing/upload",
        params={"filenames": "a.csv"}, headers=bearer,
    )  # fmt: skip
    assert refused.status_code == 401  # "its tokens stop working at once"

    # Step 7: the uploader command, in the same shell; the file fails as the page says.
    verdict = shell.run(validate.text, expected=1)
    shown_verdict = after(every, validate, "text").text.splitlines()
    shown_id = re.search(r"^file (\S+): ", shown_verdict[0])
    assert shown_id, shown_verdict[0]
    file_id = verdict.split()[0]
    expected = [line.replace(shown_id.group(1), file_id) for line in shown_verdict]
    assert shell.stderr.splitlines()[0] == expected[0]
    assert verdict.splitlines() == expected[1:]
