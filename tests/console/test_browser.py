"""The console in real headless Chromium against a real daemon: the crisis room used as a team would.

Screenshots of the main pages (desktop 1366x768 and phone 390x844) are written to
``$BROWSER_ARTEFACTS`` (else ``<pytest tmp>/browser-artefacts``).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.console.browser import DESKTOP, PHONE, Watched, artefacts, launch, needs_chromium
from tests.console.conftest import PASSWORD, Room

pytestmark = needs_chromium


@pytest.fixture
async def chromium():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await launch(p)
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page, room: Room, name: str) -> None:
    await page.goto(room.base + "/")
    assert "/console/login" in page.url  # closed by default: no anonymous access
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/console/login'] button[type=submit]")
    await page.wait_for_selector("header nav")


async def test_responders_work_an_incident_that_appears_live(room: Room, http, chromium, tmp_path_factory) -> None:
    shots = artefacts(tmp_path_factory)
    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    w = Watched(page)
    await sign_in(page, room, "alice")
    await page.wait_for_selector("body[data-live=on]")  # the event stream is open
    assert await page.locator("tr.incident").count() == 0
    await page.evaluate("() => { window.__notReloaded = true; }")

    await room.push(http, text="Acme 电池 broken again, 艾克美 worst {i}")  # the daemon raises a blue incident
    await page.wait_for_selector("tr.incident.level-blue", timeout=30_000)
    assert await page.evaluate("() => window.__notReloaded === true")  # swapped in live, not reloaded
    row = page.locator("tr.incident.level-blue")
    assert "Acme" in await row.inner_text() and "not yet" in await row.inner_text()
    await page.screenshot(path=str(shots / "live-now-desktop.png"), full_page=True)

    await row.locator("a").click()
    await page.wait_for_selector("svg.timeline")
    assert await page.locator("svg.timeline polygon.baseline-band").count() == 1  # the baseline band is drawn
    assert await page.locator("svg.timeline polyline.series[data-platform=push]").count() == 1
    assert await page.locator("svg.timeline g.mark-blue").count() >= 1  # the level change is marked
    await page.screenshot(path=str(shots / "live-incident-desktop.png"), full_page=True)

    await page.click("button.act-ack")  # acknowledge, as from Slack (interact.actions.perform)
    await page.wait_for_selector("#acked-by")
    assert await page.inner_text("#acked-by") == "alice"
    assert await page.locator("button.act-ack").count() == 0  # nothing left to acknowledge
    inc = room.store.list_incidents(status="open")[0]
    assert inc.acked_by == "alice"

    first = page.locator("li.task:not(.done)").first  # tick a task of the playbook
    task_id = await first.get_attribute("data-task")
    await first.locator("button.tick").click()
    await page.wait_for_selector(f"li.task.done[data-task='{task_id}']")

    await page.fill("#statement-text", "We are aware of reports about Acme batteries and are investigating.")
    await page.click("button.save-statement")
    await page.wait_for_selector("#statement[data-state=edited]")
    assert "not approved" in await page.inner_text("#statement-state")

    key = await page.locator("table.evidence tr[data-key]").first.get_attribute("data-key")
    await page.locator(f"tr[data-key='{key}'] button[value=neutral]").click()  # relabel a post
    await page.wait_for_selector(f"tr[data-key='{key}'] strong.human-label")
    assert await page.inner_text(f"tr[data-key='{key}'] strong.human-label") == "neutral"
    assert room.store.get_post(key)["human_label"] == "neutral"

    await page.click("header button.link")  # sign out; legal signs in and approves
    await page.wait_for_selector("form[action='/console/login']")
    await sign_in(page, room, "lena")
    await page.goto(room.base + "/console/incidents/" + quote(inc.id, safe=""))
    await page.click("button.approve-statement")
    await page.wait_for_selector("#statement[data-state=approved]")
    assert (await page.inner_text("#statement-state")) == "approved"
    await page.screenshot(path=str(shots / "live-approved-desktop.png"), full_page=True)
    actions = [(a["actor"], a["action"]) for a in room.audit(inc.id)]
    assert ("alice", "ack") in actions and ("alice", "task_done") in actions
    assert ("alice", "statement_edit") in actions and ("lena", "statement_approve") in actions
    assert ("alice", "relabel") in actions
    assert w.errors == []
    await context.close()


async def test_a_viewer_sees_but_cannot_act(room: Room, http, chromium) -> None:
    await room.push(http)
    inc = await room.incident()
    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    w = Watched(page)
    await sign_in(page, room, "vera")
    await page.goto(room.base + "/console/incidents/" + quote(inc.id, safe=""))
    await page.wait_for_selector("svg.timeline")
    assert await page.locator("button.act-ack").count() == 0
    assert await page.locator("form.relabel").count() == 0
    assert w.errors == []
    # crafting the request by hand, with the viewer's own valid token, is refused by the server
    status = await page.evaluate("""async (id) => {
        const csrf = document.querySelector("input[name=csrf]").value;
        const body = new URLSearchParams({csrf, action: "ack"});
        const r = await fetch("/console/incidents/" + encodeURIComponent(id) + "/act", {method: "POST", body});
        return r.status; }""", inc.id)
    assert status == 403
    assert room.store.get_incident(inc.id)[1].acked_at is None
    await context.close()


async def test_a_form_without_its_csrf_token_is_refused(room: Room, http, chromium) -> None:
    await room.push(http)
    inc = await room.incident()
    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, room, "alice")
    await page.goto(room.base + "/console/incidents/" + quote(inc.id, safe=""))
    await page.evaluate("() => document.querySelectorAll('.actions input[name=csrf]').forEach(e => e.remove())")
    async with page.expect_navigation():
        await page.click("button.act-ack")
    assert "CSRF" in await page.inner_text("body")
    assert room.store.get_incident(inc.id)[1].acked_at is None
    await context.close()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_pages_have_no_errors_and_fit_the_screen(room: Room, http, chromium, tmp_path_factory,
                                                       size: dict[str, int]) -> None:
    shots = artefacts(tmp_path_factory)
    await room.push(http, text="Acme broken: a very long complaint without spaces " + "x" * 300 + " {i}")
    inc = await room.incident()
    room.close_incident(inc.id)  # acknowledged, one task ticked, resolved: History has its after-action numbers
    context = await chromium.new_context(viewport=size)
    page = await context.new_page()
    w = Watched(page)
    await sign_in(page, room, "alice")
    label = "desktop" if size == DESKTOP else "phone"
    pages = {"now": "/", "incident": "/console/incidents/" + quote(inc.id, safe=""), "brands": "/console/brands",
             "history": "/console/history", "settings": "/console/settings"}
    for name, path in pages.items():
        await page.goto(room.base + path)
        await page.wait_for_load_state("load")
        assert await w.overflow() <= 0, f"{name} scrolls sideways at {size}"
        await page.screenshot(path=str(shots / f"{name}-{label}.png"), full_page=True)
    assert w.errors == [], w.errors
    assert all((shots / f"{n}-{label}.png").stat().st_size > 1000 for n in pages)
    print(f"screenshots in {shots}")
    await context.close()

