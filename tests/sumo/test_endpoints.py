"""Deployments, endpoint resolution and credentials."""

from __future__ import annotations

import pytest

from sumoctl.errors import SumoctlError
from sumoctl.sumo import Deployment, credentials_from_env, resolve_endpoint
from sumoctl.sumo.endpoints import check_endpoint


@pytest.mark.parametrize("deployment, url", [
    ("us1", "https://api.sumologic.com/api/"), ("us2", "https://api.us2.sumologic.com/api/"),
    ("eu", "https://api.eu.sumologic.com/api/"), ("au", "https://api.au.sumologic.com/api/"),
    ("de", "https://api.de.sumologic.com/api/"), ("jp", "https://api.jp.sumologic.com/api/"),
    ("ca", "https://api.ca.sumologic.com/api/"), ("in", "https://api.in.sumologic.com/api/"),
    ("kr", "https://api.kr.sumologic.com/api/"), ("fed", "https://api.fed.sumologic.com/api/"),
    ("ch", "https://api.ch.sumologic.com/api/"), ("US2", "https://api.us2.sumologic.com/api/"),
])
def test_every_deployment_maps_to_its_api_host(deployment, url):
    assert resolve_endpoint(deployment, None, {}) == url


def test_the_deployment_map_matches_the_openapi_servers():
    """Every server the spec lists is one of our deployments (CH is newer than the spec)."""
    from tests.fakesumo.contract import SPEC_PATH

    servers = set()
    with open(SPEC_PATH, encoding="utf-8") as f:
        for line in f:
            if line.strip().startswith("- url: https://api."):
                servers.add(line.split("url:")[1].strip())
            if line.startswith("paths:"):
                break
    ours = {d.endpoint for d in Deployment}
    assert servers and servers <= ours and ours - servers == {"https://api.ch.sumologic.com/api/"}


def test_sumo_endpoint_wins_then_the_explicit_endpoint_then_the_deployment():
    env = {"SUMO_ENDPOINT": "https://api.eu.sumologic.com/api/"}
    assert resolve_endpoint("us1", "https://api.de.sumologic.com/api/", env) == "https://api.eu.sumologic.com/api/"
    assert resolve_endpoint("us1", "https://api.de.sumologic.com/api/", {}) == "https://api.de.sumologic.com/api/"
    assert resolve_endpoint("us1", None, {"SUMO_ENDPOINT": ""}) == "https://api.sumologic.com/api/"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/api/", "http://localhost:9/api", "http://[::1]:9/api/"])
def test_plain_http_is_fine_for_loopback(url):
    assert check_endpoint(url).startswith("http://") and check_endpoint(url).endswith("/api/")


@pytest.mark.parametrize("url, message", [
    ("http://api.sumologic.com/api/", "must use https"),
    ("http://10.0.0.5/api/", "must use https"),
    ("ftp://x/api/", "is not an http"),
    ("https://id:key@api.sumologic.com/api/", "must not carry credentials"),
])
def test_bad_endpoints_are_refused(url, message):
    with pytest.raises(SumoctlError, match=message):
        resolve_endpoint(None, url, {})


def test_a_key_written_into_the_endpoint_is_not_echoed():
    with pytest.raises(SumoctlError) as info:
        resolve_endpoint(None, "ftp://suID:Sup3rSecretKey@api.sumologic.com/api/", {})
    assert "Sup3rSecretKey" not in str(info.value)


def test_an_endpoint_without_api_gets_it():
    assert check_endpoint("https://api.us2.sumologic.com") == "https://api.us2.sumologic.com/api/"


def test_unknown_deployment_lists_the_known_ones():
    with pytest.raises(SumoctlError, match="unknown Sumo Logic deployment 'mars'.*us1, us2"):
        resolve_endpoint("mars", None, {})


def test_nothing_to_resolve_says_what_to_set():
    with pytest.raises(SumoctlError, match="SUMO_ENDPOINT"):
        resolve_endpoint(None, None, {})


def test_missing_credentials_name_every_missing_variable_in_one_error():
    with pytest.raises(SumoctlError) as info:
        credentials_from_env("PROD_ID", "PROD_KEY", {"PROD_ID": ""}, context="environment 'prod'")
    assert str(info.value) == ("missing Sumo Logic credentials for environment 'prod': "
                               "set the environment variable(s) PROD_ID and PROD_KEY")
    with pytest.raises(SumoctlError, match=r"variable\(s\) PROD_KEY$"):
        credentials_from_env("PROD_ID", "PROD_KEY", {"PROD_ID": "x"})


def test_credentials_never_show_the_key():
    creds = credentials_from_env("A", "B", {"A": "suXYZ", "B": "very-secret-key-value"})
    assert creds.access_key == "very-secret-key-value"
    assert "very-secret-key-value" not in repr(creds) and "very-secret-key-value" not in str(creds)
