"""No secret (access key, auth header value, webhook URL or its header values) in any log line, error or repr."""

from __future__ import annotations

import base64
import logging

import pytest
import responses

from sumoctl.sumo import SumoApiError, SumoClient, WebhookDefinition
from tests.sumo.builders import webhook

WEBHOOK_URL = "https://hooks.example.com/services/T0/B0/abcdefSECRETpath"
TOKEN = "Bearer tok-9f8e7d6c5b4a"


def secrets_of(client_or_key: str) -> list[str]:
    return [client_or_key, WEBHOOK_URL, TOKEN]


def assert_clean(texts: list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into: {text[:200]}"


def test_a_faulty_session_leaks_nothing(fake_sumo, fast_client, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # requests/urllib3 debug lines included
    fake = fake_sumo(faults="429=10%,5xx=10%,reset=5%,lost-response=5%", seed=11)
    client = fast_client(fake)
    basic = base64.b64encode(f"{fake.access_id}:{fake.access_key}".encode()).decode()
    secrets = [fake.access_key, basic, WEBHOOK_URL, TOKEN]
    texts = [repr(client), str(client.credentials), repr(client.stats)]
    conn = client.connections.create(webhook("hook", url=WEBHOOK_URL, token=TOKEN))
    texts.append(repr(WebhookDefinition.model_validate(webhook("hook", url=WEBHOOK_URL, token=TOKEN))))
    for bad in ({**webhook("x", url=WEBHOOK_URL, token=TOKEN), "defaultPayload": "{nope"},
                {**webhook("y" * 200, url=WEBHOOK_URL, token=TOKEN)}):
        with pytest.raises(SumoApiError) as info:
            client.connections.create(bad)
        texts += [str(info.value), repr(info.value)]
    client.connections.update(conn["id"], webhook("hook", url=WEBHOOK_URL, token=TOKEN))
    wrong = SumoClient(fake.endpoint, fake.access_id, "wrong-key-0123456789", throttle=False, retry_budget_s=1)
    with pytest.raises(SumoApiError) as info:
        wrong.monitors.root()
    texts += [str(info.value), repr(info.value), repr(wrong)]
    secrets.append("wrong-key-0123456789")
    out = capsys.readouterr()
    texts += [caplog.text, out.out, out.err]
    texts += [str(c.request_headers) for c in fake.calls]
    assert "GET /api/v1/connections" in caplog.text or "v1/connections" in caplog.text  # logging did happen
    assert_clean(texts, secrets)


@responses.activate
def test_a_server_that_echoes_secrets_gets_them_redacted():
    base = "https://api.us2.sumologic.com/api/"
    key = "the-access-key-0123456789"
    basic = base64.b64encode(f"suID:{key}".encode()).decode()
    responses.post(base + "v1/connections", status=400, json={"id": "AAAAA-BBBBB-CCCCC", "errors": [
        {"code": "connection:invalid", "message": f"cannot reach {WEBHOOK_URL} with {TOKEN}",
         "detail": f"auth was Basic {basic}, key {key}"}]})
    client = SumoClient(base, "suID", key, throttle=False)
    with pytest.raises(SumoApiError) as info:
        client.connections.create(webhook("hook", url=WEBHOOK_URL, token=TOKEN))
    err = info.value
    texts = [str(err), repr(err), err.message, err.detail or ""]
    assert_clean(texts, [key, basic, WEBHOOK_URL, TOKEN])
    assert "(sensitive)" in err.message and "(sensitive)" in err.detail
