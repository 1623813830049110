"""The batch Push API (SPEC §3)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from tests.conftest import PUBLIC_URL, Harness, build_harness, make_settings

BASE = "/services/push/v1/customer/apps"


def upload_path(app_id: str, *names: str, extra: str = "") -> str:
    query = "&".join(f"filenames={quote(n, safe='')}" for n in names)
    return f"{BASE}/{app_id}/upload?{query}{extra}"


def test_seed_example_returns_urls_in_request_order(harness: Harness) -> None:
    creds = harness.tenant("acme")
    response = harness.http.get(
        upload_path("myAppId", "foo.json", "bar.json"), headers=harness.auth(creds)
    )
    assert response.status_code == 200
    urls = response.json()
    assert list(urls) == ["foo.json", "bar.json"]
    for name, url in urls.items():
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL
        assert unquote(parts.path) == f"/o/log-connector-data/acme/myAppId/{name}"


def test_type_adds_a_key_segment(harness: Harness) -> None:
    creds = harness.tenant("acme")
    response = harness.http.get(
        upload_path("myAppId", "foo.pdf", extra="&type=contracts"), headers=harness.auth(creds)
    )
    assert response.status_code == 200
    path = unquote(urlsplit(response.json()["foo.pdf"]).path)
    assert path == "/o/log-connector-data/acme/myAppId/contracts/foo.pdf"


def test_urls_use_the_public_url(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", public_url="https://lz.example.org/"
    )
    for harness in build_harness(settings):
        creds = harness.tenant("acme")
        response = harness.http.get(upload_path("myAppId", "a"), headers=harness.auth(creds))
        assert response.json()["a"].startswith("https://lz.example.org/o/log-connector-data/")


def test_one_hundred_filenames_is_the_limit(harness: Harness) -> None:
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    names = [f"f{i}.csv" for i in range(101)]
    ok = harness.http.get(upload_path("myAppId", *names[:100]), headers=headers)
    assert ok.status_code == 200
    assert len(ok.json()) == 100
    too_many = harness.http.get(upload_path("myAppId", *names), headers=headers)
    assert too_many.status_code == 400
    assert "at most 100" in too_many.json()["message"]


BAD_NAMES = {
    "empty": "",
    "dot": ".",
    "dotdot": "..",
    "slash": "a/b.csv",
    "backslash": "a\\b.csv",
    "nul": "a\x00b",
    "control": "a\x1fb",
    "leading space": " a.csv",
    "trailing space": "a.csv ",
    "too long": "é" * 128,  # 256 bytes of UTF-8
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_invalid_filenames_are_400(sqlite_harness: Harness, name: str) -> None:
    creds = sqlite_harness.tenant("acme")
    response = sqlite_harness.http.get(
        upload_path("myAppId", name), headers=sqlite_harness.auth(creds)
    )
    assert response.status_code == 400
    assert "Invalid filename" in response.json()["message"]


def test_longest_valid_filename_is_255_bytes(sqlite_harness: Harness) -> None:
    creds = sqlite_harness.tenant("acme")
    name = "é" * 127 + "x"  # 255 bytes
    response = sqlite_harness.http.get(
        upload_path("myAppId", name), headers=sqlite_harness.auth(creds)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?filenames=a&filenames=a",
        "?filenames=caf%C3%A9&filenames=cafe%CC%81",  # the same name after NFC
        "?filenames=a&type=invoices",
        "?filenames=a&type=users&type=other",
        "?filenames=a&foo=bar",
    ],
    ids=["none", "duplicate", "nfc-duplicate", "unknown-type", "type-twice", "unexpected"],
)
def test_bad_queries_are_400_with_a_message(sqlite_harness: Harness, query: str) -> None:
    creds = sqlite_harness.tenant("acme")
    response = sqlite_harness.http.get(
        f"{BASE}/myAppId/upload{query}", headers=sqlite_harness.auth(creds)
    )
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert len(body["message"]) > 10


def test_no_filenames_says_how_to_pass_them(sqlite_harness: Harness) -> None:
    creds = sqlite_harness.tenant("acme")
    response = sqlite_harness.http.get(f"{BASE}/myAppId/upload", headers=sqlite_harness.auth(creds))
    assert response.status_code == 400
    assert response.json() == {
        "code": "400",
        "message": "Missing 'filenames': pass at least one ?filenames=NAME.",
        "success": False,
    }


def test_a_bad_cursor_says_which_to_pass(sqlite_harness: Harness) -> None:
    creds = sqlite_harness.tenant("acme")
    response = sqlite_harness.http.get(
        f"{BASE}/myAppId/files?cursor=zzz", headers=sqlite_harness.auth(creds)
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid cursor: pass the nextCursor of the previous page."


def test_nfc_normalises_the_key(sqlite_harness: Harness) -> None:
    creds = sqlite_harness.tenant("acme")
    decomposed = unicodedata.normalize("NFD", "café.csv")
    response = sqlite_harness.http.get(
        upload_path("myAppId", decomposed), headers=sqlite_harness.auth(creds)
    )
    url = response.json()[decomposed]
    assert unquote(urlsplit(url).path).endswith("/café.csv")
    assert unicodedata.is_normalized("NFC", unquote(urlsplit(url).path))


def test_unknown_app_is_404(harness: Harness) -> None:
    creds = harness.tenant("acme")
    response = harness.http.get(upload_path("nope", "a.csv"), headers=harness.auth(creds))
    assert response.status_code == 404
    assert "nope" in response.json()["message"]


def test_another_customers_app_is_404(harness: Harness) -> None:
    harness.tenant("acme", "shared")
    other = harness.tenant("globex", "mine")
    headers = harness.auth(other)
    assert harness.http.get(upload_path("shared", "a.csv"), headers=headers).status_code == 404
    listing = harness.http.get(f"{BASE}/shared/files", headers=headers)
    assert listing.status_code == 404


def test_rate_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", rate_limit=1, rate_limit_burst=3
    )
    for harness in build_harness(settings):
        creds = harness.tenant("acme")
        headers = harness.auth(creds)
        statuses = [
            harness.http.get(upload_path("myAppId", "a"), headers=headers).status_code
            for _ in range(4)
        ]
        assert statuses[:3] == [200, 200, 200]
        response = harness.http.get(upload_path("myAppId", "a"), headers=headers)
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["code"] == "429"
        # Limits are per client: another client of the same customer is unaffected.
        other = harness.new_client("acme")
        fresh = harness.http.get(upload_path("myAppId", "a"), headers=harness.auth(other))
        assert fresh.status_code == 200


def push(
    harness: Harness, headers: dict[str, str], name: str, body: bytes, extra: str = ""
) -> None:
    url = harness.http.get(upload_path("myAppId", name, extra=extra), headers=headers).json()[name]
    assert harness.http.put(url, content=body).status_code == 200


def test_listing_is_newest_first_with_versions_and_pages(harness: Harness) -> None:
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    push(harness, headers, "a.csv", b"one")
    push(harness, headers, "b.csv", b"two", "&type=users")
    push(harness, headers, "a.csv", b"three!")
    response = harness.http.get(f"{BASE}/myAppId/files?limit=2", headers=headers)
    assert response.status_code == 200
    page = response.json()
    assert [(f["name"], f["version"], f["size"]) for f in page["files"]] == [
        ("a.csv", 2, 6),
        ("b.csv", 1, 3),
    ]
    assert page["files"][1]["type"] == "users"
    first = page["files"][0]
    assert set(first) >= {"name", "type", "size", "sha256", "uploadedAt", "version", "status"}
    assert first["uploadedAt"].endswith("Z")
    rest = harness.http.get(
        f"{BASE}/myAppId/files?limit=2&cursor={page['nextCursor']}", headers=headers
    ).json()
    assert [(f["name"], f["version"]) for f in rest["files"]] == [("a.csv", 1)]
    assert rest["nextCursor"] is None


@pytest.mark.parametrize(
    "query", ["?limit=0", "?limit=abc", "?limit=%C2%B2", "?cursor=%%%", "?page=2"]
)
def test_listing_bad_queries_are_400(sqlite_harness: Harness, query: str) -> None:
    creds = sqlite_harness.tenant("acme")
    response = sqlite_harness.http.get(
        f"{BASE}/myAppId/files{query}", headers=sqlite_harness.auth(creds)
    )
    assert response.status_code == 400


# -- what `type` means (SPEC §3, seed 002) ----------------------------------------------------

TIMESHEETS = {
    "name": "timesheets",
    "schema": {"fields": [{"name": "who", "type": "string"}, {"name": "hours", "type": "number"}]},
}
USERS_HEADER = b"user_id,email,name,department,status,created_date,last_login\n"
GOOD_USERS = USERS_HEADER + b"u1,a@b.example,Ann,Ops,active,2024-01-02,2024-05-06T07:08:09\n"
BAD_USERS = USERS_HEADER + b"u1,not-an-email,Ann,Ops,active,2024-01-02,2024-05-06T07:08:09\n"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\x00\x00"


def run_pipeline(harness: Harness) -> None:
    runner = harness.services.pipeline()
    while runner.run_once():
        pass


def test_an_operators_dataset_type_is_a_push_type(harness: Harness) -> None:
    harness.services.datasets.add(json.dumps(TIMESHEETS))
    headers = harness.auth(harness.tenant("acme"))
    push(harness, headers, "week.csv", b"who,hours\nann,7.5\nbob,x\n", "&type=timesheets")
    run_pipeline(harness)
    (item,) = harness.http.get(f"{BASE}/myAppId/files", headers=headers).json()["files"]
    assert (item["type"], item["status"]) == ("timesheets", "Failed")
    assert item["failureReason"] and "bad rows" in item["failureReason"]
    # The id is the Files API's: the uploader follows up there.
    detail = harness.http.get(f"/analytics/files/{item['id']}", headers=headers).json()
    assert detail["datasetType"] == "timesheets"
    assert [(e["row"], e["field"]) for e in detail["errors"]] == [(3, "hours")]


def test_an_unknown_type_names_the_choices(sqlite_harness: Harness) -> None:
    sqlite_harness.services.datasets.add(json.dumps(TIMESHEETS))
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    response = sqlite_harness.http.get(
        upload_path("myAppId", "a.csv", extra="&type=invoices"), headers=headers
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Unknown type 'invoices': use users, contracts, other, or a dataset type: timesheets."
    )


def test_seed_002_contract_pdfs_are_stored_not_failed(harness: Harness) -> None:
    harness.services.datasets.install_shipped()  # `contracts` is a dataset type too
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    urls = harness.http.get(
        upload_path("myAppId", "foo.pdf", "bar.pdf", extra="&type=contracts"), headers=headers
    ).json()
    # Seed 002's own uploads, as printed, and a real PDF's bytes.
    assert harness.http.put(urls["foo.pdf"], content=b"Contents of foo").status_code == 200
    assert harness.http.put(urls["bar.pdf"], content=PDF).status_code == 200
    run_pipeline(harness)
    files = harness.http.get(f"{BASE}/myAppId/files", headers=headers).json()["files"]
    assert {(f["name"], f["status"], f["id"], f["failureReason"]) for f in files} == {
        ("foo.pdf", "Stored", None, None),
        ("bar.pdf", "Stored", None, None),
    }
    listed = harness.http.get("/analytics/files", headers=harness.auth(creds, "files.read"))
    assert listed.json()["files"] == []


@pytest.mark.parametrize(
    ("name", "body", "status"),
    [
        ("users.CSV", GOOD_USERS, "Completed"),
        ("users.txt", GOOD_USERS, "Completed"),
        ("users.tsv", GOOD_USERS.replace(b",", b"\t"), "Completed"),  # tab-separated
        ("users.tsv", BAD_USERS.replace(b",", b"\t"), "Failed"),
        ("users.tsv", GOOD_USERS, "Failed"),  # commas in a .tsv: one cell a line
        ("users", GOOD_USERS, "Completed"),  # no extension, text
        ("users", BAD_USERS, "Failed"),
        ("users", PDF, "Stored"),  # no extension, binary content
        ("users", b"", "Stored"),  # no extension, nothing to tell it by
        ("users.xlsx", GOOD_USERS, "Stored"),
        ("users.json", b'{"user_id": "u1"}', "Stored"),
    ],
)
def test_only_tabular_files_are_validated(
    sqlite_harness: Harness, name: str, body: bytes, status: str
) -> None:
    sqlite_harness.services.datasets.install_shipped()
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    push(sqlite_harness, headers, name, body, "&type=users")
    run_pipeline(sqlite_harness)
    (item,) = sqlite_harness.http.get(f"{BASE}/myAppId/files", headers=headers).json()["files"]
    assert item["status"] == status
    assert (item["id"] is None) == (status == "Stored")


def test_a_type_without_a_dataset_is_stored(sqlite_harness: Harness) -> None:
    sqlite_harness.services.datasets.install_shipped()
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    push(sqlite_harness, headers, "x.csv", b"anything,at,all\n", "&type=other")
    push(sqlite_harness, headers, "y.csv", b"anything,at,all\n")
    run_pipeline(sqlite_harness)
    files = sqlite_harness.http.get(f"{BASE}/myAppId/files", headers=headers).json()["files"]
    assert [f["status"] for f in files] == ["Stored", "Stored"]


@pytest.mark.parametrize(
    "query", ["filenames=%ff", "filenames=a%ED%A0%80b", "type=%ff&filenames=a"]
)
def test_a_filename_that_is_not_utf8_is_400(sqlite_harness: Harness, query: str) -> None:
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    response = sqlite_harness.http.get(f"{BASE}/myAppId/upload?{query}", headers=headers)
    assert response.status_code == 400
    assert "not valid UTF-8" in response.json()["message"]


def test_distinct_undecodable_names_never_collide(sqlite_harness: Harness) -> None:
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    for query in ("filenames=%ff", "filenames=%fe"):
        response = sqlite_harness.http.get(f"{BASE}/myAppId/upload?{query}", headers=headers)
        assert response.status_code == 400
    assert sqlite_harness.http.get(f"{BASE}/myAppId/files", headers=headers).json()["files"] == []


def test_a_lone_surrogate_filename_in_json_is_422(sqlite_harness: Harness) -> None:
    sqlite_harness.services.datasets.install_shipped()
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"), "files.write")
    response = sqlite_harness.http.post(
        "/analytics/files/upload",
        content=b'{"datasetType": "users", "file": {"name": "a\\udcff.csv", "type": "csv"}}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "lone surrogate" in response.json()["message"]
