"""The report page's download form: one box leaves the appendix out of the next download in
every format (the API's ``appendix=false``, docs/exports.md), without a script, labelled and
described for screen readers. The downloads are sent as a browser sends the form."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import login_as
from tests.report_world import World, build_world

APPENDIX_DE = "Anhang: alle Beiträge"  # the report is in the workshop's language


@pytest.fixture
def world(app: FastAPI, api: TestClient) -> World:
    return build_world(app, api)


@pytest.fixture
def browser(world: World, client: TestClient) -> TestClient:
    login_as(client, world.moderator)
    return client


def download_form(client: TestClient, world: World, language: str = "en") -> Tag:
    response = client.get(f"/m/workshops/{world.id}/report", headers={"Accept-Language": language})
    assert response.status_code == 200, response.text
    form = BeautifulSoup(response.text, "html.parser").select_one("form.download-form")
    assert form is not None
    return form


def submission(form: Tag, fmt: str, *, appendix: bool) -> list[tuple[str, str]]:
    """The form data a browser builds when ``fmt``'s button submits the form: every field in
    tree order, the box only when ticked, then the pressed button (HTML's form data set)."""
    fields: list[tuple[str, str]] = []
    for element in form.find_all(["input", "button"]):
        if element.name == "button":
            if element.get("value") == fmt:
                fields.append((element["name"], element["value"]))
            continue
        if element.get("type") == "checkbox" and not appendix:
            continue
        fields.append((element["name"], element.get("value", "on")))
    return fields


def download(client: TestClient, form: Tag, fmt: str, *, appendix: bool) -> bytes:
    assert form["method"] == "get"
    response = client.get(form["action"], params=submission(form, fmt, appendix=appendix))
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return response.content


@pytest.mark.rendering
def test_an_unticked_appendix_box_leaves_the_appendix_out_of_the_download(
    browser: TestClient, world: World, tmp_path: Path
) -> None:
    form = download_form(browser, world)
    box = form.select_one("input[type=checkbox][name=appendix]")
    assert box is not None and box.has_attr("checked") and box["value"] == "true"
    # A native box inside its label: reachable with Tab, toggled with Space, its name read out.
    assert not box.has_attr("tabindex") and not box.has_attr("disabled") and not box.has_attr("aria-hidden")
    label = box.find_parent("label")
    assert label is not None and label.get_text(" ", strip=True) == "Include the appendix (all cards)"
    hint = form.find(id=box["aria-describedby"])
    assert hint is not None and "next download" in hint.get_text()
    # Every format is a button of the same form, so every download takes the box along.
    assert [b["value"] for b in form.select(".download-list button[type=submit][name=format]")] == [
        "md",
        "html",
        "pdf",
        "docx",
        "odt",
        "csv",
        "json",
    ]
    assert form["action"] == f"/api/v1/workshops/{world.id}/export" and form.get("data-hx-boost") == "false"
    # Translated: the label follows the moderator's language (scripts/i18n_maps/report4.py).
    german = download_form(browser, world, "de").select_one("input[type=checkbox][name=appendix]")
    assert german is not None and german.find_parent("label").get_text(" ", strip=True) == "Mit Anhang (alle Beiträge)"

    # Sent as a browser sends the form: ticked, the download has the appendix; unticked, not.
    with_appendix = download(browser, form, "md", appendix=True).decode()
    without = download(browser, form, "md", appendix=False).decode()
    assert f"## {APPENDIX_DE}" in with_appendix and APPENDIX_DE not in without
    assert world.statements["consensus"]["text"] in without  # the rest of the report is there
    assert len(without) < len(with_appendix)

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(download(browser, form, "pdf", appendix=False))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True)
    assert APPENDIX_DE not in text.stdout and "Seite 1 von" in text.stdout

    # Only this download: the saved report settings still include the appendix.
    assert f"## {APPENDIX_DE}" in world.export("md").content.decode()
