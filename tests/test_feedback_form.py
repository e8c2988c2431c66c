"""The feedback form of a station's QR code (/feedback/<station>?t=...): plain HTML, Arabic by default and
right to left, Kurdish and English; its answers go through submitFeedback's logic. Then the same form in
headless Chromium, in Arabic, over a real socket."""

from __future__ import annotations

import asyncio
import os
import re

import pytest
from sqlalchemy import text

from api.app import create_app
from schema.node import to_global_id
from tests.browser import Browser, chromium_path
from tests.factories import make_officer, make_station, sign_in
from tests.servers import free_port

LINK = "query Link($stationId: ID!) { feedbackLink(stationId: $stationId) }"
SUBMIT = """
mutation Submit($input: SubmitFeedbackInput!) {
  submitFeedback(input: $input) { accepted errors { field code } }
}
"""
ANSWER = {"service": "CRIME_REPORTING", "rating": "5", "respected": "yes", "come_back": "yes", "safe": "no",
          "gender": "FEMALE", "comment": "شكراً للشرطية"}  # fmt: skip


async def setting_up(sessionmaker):
    async with sessionmaker() as session:
        station = await make_station(
            session, names={"ar": "مركز شرطة الزهور", "ku": "بنکەی پۆلیسی زهور", "en": "Zuhur Police Station"}
        )
        _, commander = await make_officer(session, role="STATION_COMMANDER", station_id=station)
        _, officer = await make_officer(session, station_id=station)
        _, supervisor = await make_officer(session, role="SUPERVISOR", governorates=("IQ-NI",))
        _, admin = await make_officer(session, role="ADMIN")
        await session.commit()
    return station, commander, officer, supervisor, admin


async def count(sessionmaker) -> int:
    async with sessionmaker() as session:
        return (await session.execute(text("SELECT count(*) FROM feedback_responses"))).scalar_one()


def hidden(page: str, name: str) -> str:
    return re.search(rf'name={name} value="([^"]*)"', page).group(1)


async def test_the_form_in_three_languages_and_its_answers(client, gql, sessionmaker) -> None:
    station, commander, officer, supervisor, admin = await setting_up(sessionmaker)
    station_id = to_global_id("Station", station)
    # the commander (and an admin) get the QR link; the station's officer and a supervisor do not
    link = (await gql(LINK, {"stationId": station_id}, headers=await sign_in(gql, commander)))["data"][
        "feedbackLink"
    ]
    assert link.startswith(f"/feedback/{station}?t=")
    body = await gql(LINK, {"stationId": station_id}, headers=await sign_in(gql, admin))
    assert body["data"]["feedbackLink"] == link
    for badge in (officer, supervisor):
        body = await gql(LINK, {"stationId": station_id}, headers=await sign_in(gql, badge))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql(LINK, {"stationId": station_id}))["errors"][0]["extensions"][
        "code"
    ] == "UNAUTHENTICATED"
    # the page: Arabic and right to left by default, the emergency number on it, no script
    page = await client.get(link)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert '<html lang="ar" dir="rtl">' in page.text and "مركز شرطة الزهور" in page.text
    assert "104" in page.text and "<script" not in page.text
    kurdish = await client.get(link + "&lang=ku")
    assert '<html lang="ckb" dir="rtl">' in kurdish.text and "بنکەی پۆلیسی زهور" in kurdish.text
    english = await client.get(link, headers={"accept-language": "en"})
    assert '<html lang="en" dir="ltr">' in english.text and "Zuhur Police Station" in english.text
    # a wrong token or station is not the station's form
    assert (await client.get(f"/feedback/{station}?t=guess")).status_code == 404
    assert (await client.get(f"/feedback/{station}")).status_code == 404
    assert (await client.get("/feedback/99999999?t=x")).status_code == 404
    assert (await client.get("/feedback/" + "9" * 40)).status_code == 404
    # an answer, sent twice (a second tap), is stored once
    form = {**ANSWER, "client_id": hidden(page.text, "client_id"), "t": hidden(page.text, "t")}
    for _ in range(2):
        sent = await client.post(f"/feedback/{station}?lang=ar", data=form)
        assert sent.status_code == 200 and "شكراً لك" in sent.text
    assert await count(sessionmaker) == 1
    async with sessionmaker() as session:
        row = (await session.execute(text("SELECT * FROM feedback_responses"))).mappings().one()
    assert (row["rating"], row["respected"], row["safe_reporting"], row["gender"]) == (
        5,
        True,
        False,
        "FEMALE",
    )
    # incomplete, out of range or hostile answers show the form again with the reason, and store nothing
    fresh = {**form, "client_id": hidden((await client.get(link)).text, "client_id")}
    for bad in ({"rating": "9"}, {"respected": "maybe"}, {"service": "PIZZA"}, {"comment": "x" * 1001},
                {"comment": "a\x07b"}, {"client_id": "nope"}):  # fmt: skip
        response = await client.post(f"/feedback/{station}", data={**fresh, **bad})
        assert response.status_code == 400 and "<form" in response.text, bad
    assert await count(sessionmaker) == 1
    # the app's way: a wrong station token is refused by field
    given = {
        "clientId": "3b8c5a8e-0000-4000-8000-000000000001",
        "stationId": station_id,
        "service": "OTHER",
        "rating": 3,
        "treatedWithRespect": True,
        "wouldComeBack": True,
        "feltSafeReporting": True,
        "stationToken": "guess",
    }
    body = await gql(SUBMIT, {"input": given})
    assert body["data"]["submitFeedback"]["errors"] == [{"field": ["stationToken"], "code": "INVALID"}]


async def test_an_oversized_answer_is_413_with_a_short_page_in_the_persons_language(
    client, gql, sessionmaker
) -> None:
    station, commander, *_ = await setting_up(sessionmaker)
    link = (
        await gql(
            LINK, {"stationId": to_global_id("Station", station)}, headers=await sign_in(gql, commander)
        )
    )["data"]["feedbackLink"]
    page = (await client.get(link)).text
    form = {**ANSWER, "client_id": hidden(page, "client_id"), "t": hidden(page, "t")}

    async def chunks(size: int):  # sent without a Content-Length: the limit holds while reading
        for _ in range(size // 1000):
            yield b"x" * 1000

    # given a body over the limit, declared or only sent, to the station or to none
    for target, body, headers, says in (
        (f"/feedback/{station}", b"x" * 20_000, {}, "أطول من أن تُرسل"),
        (f"/feedback/{station}?lang=en", chunks(20_000), {}, "too long to send"),
        ("/feedback/99999999", b"x" * 20_000, {"accept-language": "ku"}, "زۆر درێژە"),
    ):
        # when it is posted
        response = await client.post(target, content=body, headers=headers)
        # then it is 413 with a short page saying so in the person's language, the same for every station
        assert response.status_code == 413, target
        assert says in response.text and "<form" not in response.text and "104" in response.text
        assert response.headers["cache-control"] == "no-store"
    assert await count(sessionmaker) == 0
    # the largest answer the form allows (1000 characters of 3 bytes each, percent-encoded) still fits
    longest = await client.post(f"/feedback/{station}", data={**form, "comment": "\u3042" * 1000})
    assert longest.status_code == 200 and "شكراً لك" in longest.text
    # one character over is the answer's own error, on the form again
    fresh = {**form, "client_id": hidden((await client.get(link)).text, "client_id")}
    over = await client.post(f"/feedback/{station}", data={**fresh, "comment": "\u3042" * 1001})
    assert over.status_code == 400 and "<form" in over.text
    assert await count(sessionmaker) == 1


@pytest.mark.skipif(chromium_path() is None and not os.environ.get("CI"), reason="chromium is not installed")
async def test_the_form_works_in_chromium_in_arabic(sessionmaker, settings, gql, tmp_path) -> None:
    import uvicorn

    station, commander, *_ = await setting_up(sessionmaker)
    station_id = to_global_id("Station", station)
    link = (await gql(LINK, {"stationId": station_id}, headers=await sign_in(gql, commander)))["data"][
        "feedbackLink"
    ]
    app = create_app(settings, sessionmaker=sessionmaker)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.02)
        async with Browser.launch(tmp_path / "profile") as browser:
            page = await browser.new_page()
            # a phone set to Arabic (Iraq)
            await page.send("Network.enable")
            await page.send(
                "Network.setUserAgentOverride", userAgent="Mozilla/5.0", acceptLanguage="ar-IQ,ar"
            )
            await page.navigate(f"http://127.0.0.1:{port}{link}")
            assert await page.evaluate("document.documentElement.dir") == "rtl"
            assert await page.evaluate("document.documentElement.lang") == "ar"
            # a citizen taps the answers and sends them, as a person would
            await page.evaluate(
                """(() => {
                  document.querySelector('select[name=service]').value = 'COMMUNITY_MEETING';
                  for (const [name, value] of [['rating', '4'], ['respected', 'yes'], ['come_back', 'yes'],
                                               ['safe', 'yes'], ['gender', 'FEMALE']])
                    document.querySelector(`input[name=${name}][value="${value}"]`).click();
                  document.querySelector('textarea[name=comment]').value = 'اجتماع مفيد';
                  document.querySelector('button[type=submit]').click();
                  return true;
                })()"""
            )
            await page.wait_for("document.body && document.body.innerText.includes('شكراً لك')")
            assert await page.evaluate("document.documentElement.dir") == "rtl"
            assert not page.problems, page.problems
    finally:
        server.should_exit = True
        await task
    async with sessionmaker() as session:
        row = (
            await session.execute(text("SELECT service, rating, gender, comment FROM feedback_responses"))
        ).one()
    assert tuple(row) == ("COMMUNITY_MEETING", 4, "FEMALE", "اجتماع مفيد")
