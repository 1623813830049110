"""FastAPI's own request validation errors use the common body: 400 for the query, 422 for JSON."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.testclient import TestClient

from landingzone.api.errors import install_error_handlers


class Body(BaseModel):
    name: str
    size: int


def make_client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/items")
    def items(limit: int) -> dict[str, int]:
        return {"limit": limit}

    @app.post("/items")
    def create(body: Body) -> dict[str, str]:
        return {"name": body.name}

    return TestClient(app)


def test_query_problems_are_400_with_the_field_named() -> None:
    response = make_client().get("/items?limit=many")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "success"}
    assert body["code"] == "400"
    assert "query.limit" in body["message"]


def test_json_body_problems_are_422_with_the_field_named() -> None:
    response = make_client().post("/items", json={"name": "x", "size": "big"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "422" and body["success"] is False
    assert "size" in body["message"]
    assert "detail" not in body
