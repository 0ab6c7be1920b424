"""What escapes the application is still answered in the error contract, in JSON."""

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from starlette.types import Receive, Scope, Send

from api.outages import OutageMiddleware


def failing_app(error: Exception):
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise error

    return app


async def answer(error: Exception) -> httpx.Response:
    app = OutageMiddleware(failing_app(error), retry_after_seconds=3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as http:
        return await http.post("/graphql", json={"query": "{ me { username } }"})


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "Connection refused"),
    OperationalError("SELECT 1", {}, Exception("server closed the connection")),
    TimeoutError(),
])
async def test_an_unreachable_dependency_escaping_answers_json_503_with_retry_after(error):
    response = await answer(error)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    assert response.json() == {"data": None, "errors": [{
        "message": "The service is unavailable for a moment; retry shortly.",
        "extensions": {"code": "UNAVAILABLE"}}]}


async def test_any_other_failure_escaping_answers_json_500_internal_with_its_message_masked():
    response = await answer(RuntimeError("secret detail"))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert "retry-after" not in response.headers
    assert response.json()["errors"] == [{"message": "Internal server error.",
                                          "extensions": {"code": "INTERNAL"}}]
