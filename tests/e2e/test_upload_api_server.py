"""The Upload API across real processes: the HTTP worker stores, the validation worker computes."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.e2e.server import ServerProcess

DATA = "Reference,StartDate,StartTime,EndDate,EndTime\r\n" + "\r\n".join(
    f"user{i},12/05/2024,09:00,12/05/2024,17:00" for i in range(1000)
)
EVENTS = (
    "Reference,EventStartDate,EventStartTime,EventEndDate,EventEndTime,Description,TimeReference"
    "\r\nuser7,12/05/2024,16:30,12/05/2024,18:00,Overtime,0"
)


def test_upload_data_to_results_on_a_real_server(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", env_overrides={"LZ_LOG_LEVEL": "debug"}).start()
    try:
        assert server.demo is not None
        api_key = server.demo["api_key"]
        headers = {"Authorization": f"Bearer {server.demo_token()}"}
        body = {"Name": "e2e", "Data": DATA, "EventData": EVENTS, "Key": api_key,
                "Username": server.demo["client_id"], "Overwrite": "false"}  # fmt: skip
        answer = httpx.post(f"{server.url}/UploadData", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        token = answer.json()

        def get(data_key: str) -> httpx.Response:
            params = {"token": token, "dataKey": data_key, "key": api_key}
            return httpx.get(f"{server.url}/api/GetResults", params=params, headers=headers)

        deadline = time.monotonic() + 30
        while get("status").json() in ("pending", "processing"):
            assert time.monotonic() < deadline, "the worker never processed the submission"
            time.sleep(0.1)
        assert get("status").json() == "completedsuccessfully", get("feedback").text
        rows = get("tableofresultids").json()
        assert len(rows) == 1000
        assert rows[7]["Reference"] == "user7"
        assert (rows[7]["EventCount"], rows[7]["EventMinutes"]) == (1, 30)
    finally:
        server.stop()
    logs = server.logs()
    assert "GET /api/GetResults" in logs  # the access log is there
    assert api_key not in logs
