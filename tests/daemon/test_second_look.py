"""The second look (intake/record/second_look.py): a sealed 申报表 scan beside its Word copy is OCR'd after
the receipt, when no mail is coming; its findings reach the ledger, and no second receipt goes."""

from __future__ import annotations

import copy

import pytest
from sqlmodel import Session, col, select

from intake.record.second_look import pending, pending_count
from intake.run import scheduler
from intake.run.daemon import Daemon
from intake.staff.status import status_data
from intake.store.rows import DocumentRow, FindingRow, MessageRow, OutboxRow, UnitRow
from tests.fixtures.mail import build_message

pytest.importorskip("rapidocr")

MISMATCH = "cross.application.copies_mismatch"


def _submission(topic_differs: bool, word_name: str = "附件1 申报表.docx") -> bytes:
    """A 申报表 as Word and as a sealed scan (200 dpi); the scan's 课题名称 differs when asked."""
    from tests.fixtures.data import make_unit
    from tests.fixtures.form_backends import scanned_pdf
    from tests.fixtures.forms import render

    unit = make_unit(41, n_groups=1)
    group = unit.groups[0]
    scanned = copy.deepcopy(group)
    if topic_differs:
        scanned.topic = "降低某型号产品装配不良率"
    word = render("application", unit, "docx", 0, group)
    scan = scanned_pdf(render("application", unit, "pdf", 0, scanned), dpi=200, seal_text=group.company[:8])
    return build_message([(word_name, word), ("附件1 申报表（盖章）.pdf", scan)],
                         message_id="<second-look@example-zhixie.cn>")


def _pending(daemon: Daemon) -> int:
    with Session(daemon.engine) as s:
        return pending_count(s)


def _rows(daemon: Daemon) -> tuple[MessageRow, list[str], list[OutboxRow], list[DocumentRow], UnitRow | None]:
    with Session(daemon.engine) as s:
        [msg] = s.exec(select(MessageRow)).all()
        rules = [f.rule for f in s.exec(select(FindingRow).where(FindingRow.message_pk == msg.id)).all()]
        outbox = list(s.exec(select(OutboxRow).where(col(OutboxRow.message_pk) == msg.id)).all())
        docs = list(s.exec(select(DocumentRow).where(DocumentRow.message_pk == msg.id)).all())
        unit = s.get(UnitRow, msg.unit_key) if msg.unit_key else None
        return msg, rules, outbox, docs, unit


def test_the_receipt_does_not_wait_for_the_twin_scan_and_the_second_look_finds_the_difference(cfg, drop, pool):
    cfg.schedule.quiet_seconds = 3600.0
    raw = _submission(topic_differs=True)
    drop("a.eml", raw)
    daemon = Daemon(cfg, pool=pool)
    try:
        stats = daemon.poll()
        assert stats.processed == 1
        msg, rules, outbox, docs, _unit = _rows(daemon)
        # recorded and its receipt queued with the scan unread: nothing about the copies yet
        assert msg.state == "processed" and msg.ocr_later and MISMATCH not in rules and len(outbox) == 1
        [pdf] = [d for d in docs if d.format == "pdf"]
        assert any("OCR'd after the receipt" in p["detail"] for p in pdf.problems)
        assert pending(daemon.engine) == [msg.id] and _pending(daemon) == 1
        with Session(daemon.engine) as s:  # staff see it waiting (intake status, the web overview)
            assert status_data(s, 600)["messages"]["second_look"] == 1

        scheduler._second_look(daemon)  # mail came a moment ago: not quiet, nothing done
        assert _pending(daemon) == 1

        cfg.schedule.quiet_seconds = 0.0
        jobs: list[str] = []
        real = pool.read_each
        pool.read_each = lambda batch: jobs.extend(j.result.filename for j in batch) or real(batch)
        try:
            scheduler._second_look(daemon)
        finally:
            del pool.read_each
        assert jobs == ["附件1 申报表（盖章）.pdf"]  # only the scan is read again; the Word copy comes from the ledger
        msg, rules, outbox_after, docs, unit = _rows(daemon)
        assert not msg.ocr_later and _pending(daemon) == 0
        assert MISMATCH in rules  # found by the OCR of the scan's first page
        [finding] = [f for f in (msg.result or {})["findings"] if f["rule"] == MISMATCH]
        assert finding["severity"] == "warning" and "课题名称" in finding["message"]
        assert unit is not None and any(f["rule"] == MISMATCH for f in unit.findings)  # the unit shows it
        [pdf_doc] = [d for d in msg.result["documents"] if d["format"] == "pdf"]
        assert pdf_doc["read_by"] == "ocr"
        assert [o.id for o in outbox_after] == [o.id for o in outbox]  # still the one receipt
        assert daemon.second_look(when_quiet=False) == 0  # nothing left
        # the same findings as reading it all at once (intake check), once the second look is done
        from intake.pipeline import check_message

        at_once = check_message(raw, daemon.campaign, pool=pool).to_json()
        assert sorted((f["rule"], f["severity"], f["message"]) for f in at_once["findings"]) == \
            sorted((f["rule"], f["severity"], f["message"]) for f in msg.result["findings"])
        assert at_once["status"] == msg.result["status"]
    finally:
        daemon.close()


def test_intake_check_and_reprocess_read_the_twin_at_once(cfg, drop, pool):
    """Only the daemon's receipts skip the wait: `intake check` (check_message) and `intake reprocess
    --reparse` OCR the twin in the reading, so their result is whole."""
    from intake.pipeline import check_message
    from intake.record.reprocess import reprocess
    from rules import load_campaign

    raw = _submission(topic_differs=False)
    out = check_message(raw, load_campaign(), pool=pool).to_json()
    [pdf] = [d for d in out["documents"] if d["format"] == "pdf"]
    assert pdf["read_by"] == "ocr" and MISMATCH not in [f["rule"] for f in out["findings"]]

    drop("a.eml", raw)
    daemon = Daemon(cfg, pool=pool)
    try:
        daemon.poll()
        assert _pending(daemon) == 1
        reprocess(cfg, reparse=True, progress=False, daemon=daemon)
        msg, rules, outbox, _docs, _unit = _rows(daemon)
        assert not msg.ocr_later and len(outbox) == 1 and MISMATCH not in rules
        assert daemon.processor.twins_later  # the daemon's own reading is unchanged after it
    finally:
        daemon.close()


def test_a_failing_second_look_keeps_the_first_result(cfg, drop, monkeypatch, caplog):
    """Our bug in the second look is logged for staff; the message keeps its first result and is not
    retried by itself (no loop of failures), and nothing goes to the sender."""
    from intake.record import second_look

    drop("a.eml", build_message([("附件1 申报表.docx", b"x"), ("附件1 申报表（盖章）.pdf", b"%PDF-1.4 x")],
                                message_id="<fails@x>"))
    daemon = Daemon(cfg)
    try:
        daemon.poll()
        with Session(daemon.engine) as s:  # whatever the reading made of it, say a twin waits
            [msg] = s.exec(select(MessageRow)).all()
            msg.ocr_later = True
            s.add(msg)
            s.commit()
            before = msg.result

        def broken(*args):  # noqa: ANN002, ANN202
            raise RuntimeError("reader bug")

        monkeypatch.setattr(second_look, "twins_read", broken)
        assert daemon.second_look(when_quiet=False) == 0
        msg, _rules, outbox, _docs, _unit = _rows(daemon)
        assert msg.state == "processed" and not msg.ocr_later and msg.result == before and len(outbox) == 1
        assert "second look failed" in caplog.text
    finally:
        daemon.close()


def test_intake_run_once_ends_with_the_second_look(cfg, drop, monkeypatch):
    """`intake run --once` (run_pass): poll, reminders, outbox, then the second looks, not waiting for quiet."""
    calls: list[str] = []
    monkeypatch.setattr(Daemon, "send", lambda self: calls.append("send") or 0)
    monkeypatch.setattr(Daemon, "second_look", lambda self, when_quiet=True: calls.append(f"look {when_quiet}") or 2)
    daemon = Daemon(cfg)
    try:
        stats = daemon.run_pass()
    finally:
        daemon.close()
    assert calls == ["send", "look False"] and stats.second_looks == 2


def test_a_word_copy_named_without_a_clue_is_known_by_its_content(cfg, drop, pool):
    """Senders name the Word copy after the group (``攀登QC小组.docx``): reading it says it is the 申报表, so
    the sealed scan still waits for the second look — and ``intake check`` reads its first page only."""
    from intake.pipeline import check_message, read_message
    from rules import load_campaign

    raw = _submission(topic_differs=False, word_name="攀登QC小组.docx")
    later = read_message(raw, pool, twins_later=True)
    assert later.ocr_later
    [scan] = [d for d in later.documents if d.format == "pdf"]
    assert scan.form == "application" and scan.read_by != "ocr"
    checked = check_message(raw, load_campaign(), pool=pool)
    [scan] = [d for d in checked.documents if d.format == "pdf"]
    assert scan.read_by == "ocr" and scan.fields.get("company")


def test_a_scan_named_without_a_clue_is_known_by_its_title_and_waits_too(cfg, drop, pool):
    """``扫描件001.pdf`` beside a Word 申报表: only the top of its first page is OCR'd before the receipt (its
    title says 申报表), the rest in the second look, whose findings then equal ``intake check``'s: both read
    the scan whole, the page behind the form too. A scanned 推荐表 named the same way is another form: it is
    OCR'd whole at once, as before."""
    import io

    import pypdfium2 as pdfium

    from tests.fixtures.data import make_unit
    from tests.fixtures.form_backends import scanned_pdf
    from tests.fixtures.forms import render

    unit = make_unit(43, n_groups=1)
    group = unit.groups[0]
    word = render("application", unit, "docx", 0, group)
    form = pdfium.PdfDocument(render("application", unit, "pdf", 0, group))
    form.import_pages(pdfium.PdfDocument(render("evidence", unit, "pdf", 0, group)), [0])  # a page behind it
    buf = io.BytesIO()
    form.save(buf)
    scan = scanned_pdf(buf.getvalue(), dpi=200, seal_text=group.company[:8])
    other = scanned_pdf(render("recommendation", unit, "pdf", 0), dpi=200, seal_text=unit.recommender[:8])
    raw = build_message([("附件1 申报表.docx", word), ("扫描件001.pdf", scan), ("扫描件002.pdf", other)],
                        message_id="<probe@example-zhixie.cn>")

    first, looked, at_once = _looked_and_checked(cfg, drop, pool, raw)
    by_name = {d["filename"]: d for d in first["documents"]}  # the daemon's pass, before its second look
    assert by_name["扫描件001.pdf"]["form"] == "application" and by_name["扫描件001.pdf"]["read_by"] != "ocr"
    assert by_name["扫描件002.pdf"]["form"] == "recommendation" and by_name["扫描件002.pdf"]["read_by"] == "ocr"
    assert _finding_keys(looked) == _finding_keys(at_once)
    assert [d["form"] for d in looked["documents"]] == [d["form"] for d in at_once["documents"]]
    # read whole, as intake check reads it (a scan named as 申报表 would be read on its first page only)
    scan_docs = [(d["form"], d["fields"], d["confidence"]) for d in looked["documents"] if d["filename"] == "扫描件001.pdf"]
    assert scan_docs == [(d["form"], d["fields"], d["confidence"]) for d in at_once["documents"] if d["filename"] == "扫描件001.pdf"]
    assert scan_docs[0][1].get("members")


def _looked_and_checked(cfg, drop, pool, raw: bytes) -> tuple[dict, dict, dict]:  # noqa: ANN001 - fixtures
    """The daemon's result for ``raw`` after its pass (the receipt's, a scan still waiting), after its second
    look, and ``intake check``'s. The first comes from the ledger, not from a read of its own: each read of
    these scans is seconds of OCR."""
    from intake.pipeline import check_message
    from rules import load_campaign

    drop("a.eml", raw)
    cfg.schedule.quiet_seconds = 0.0
    daemon = Daemon(cfg, pool=pool)
    try:
        assert daemon.poll().processed == 1
        assert _pending(daemon) == 1
        with Session(daemon.engine) as s:
            [msg] = s.exec(select(MessageRow)).all()
            assert msg.ocr_later
            first = copy.deepcopy(msg.result)
        scheduler._second_look(daemon)
        assert _pending(daemon) == 0
        with Session(daemon.engine) as s:
            [msg] = s.exec(select(MessageRow)).all()
            looked = msg.result
    finally:
        daemon.close()
    return first, looked, check_message(raw, load_campaign(), pool=pool).to_json()


def _finding_keys(result: dict) -> list[tuple]:
    return sorted((f["rule"], f["severity"], f.get("document")) for f in result["findings"])


def test_a_photo_named_without_a_clue_is_known_by_its_title_too(cfg, drop, pool):
    """A phone photo of the sealed 申报表 (``IMG_2031.jpg``) beside its Word copy: only the top of the photo is
    OCR'd before the receipt; its title says 申报表, so the rest waits for the second look, which then
    reads it as ``intake check`` does."""
    import io

    import pypdfium2 as pdfium

    from intake.pipeline import LATER
    from tests.fixtures.data import make_unit
    from tests.fixtures.forms import render

    unit = make_unit(44, n_groups=1)
    group = unit.groups[0]
    word = render("application", unit, "docx", 0, group)
    pdf = pdfium.PdfDocument(render("application", unit, "pdf", 0, group))
    buf = io.BytesIO()
    pdf[0].render(scale=200 / 72).to_pil().convert("RGB").save(buf, format="JPEG", quality=85)
    pdf.close()
    raw = build_message([("附件1 申报表.docx", word), ("IMG_2031.jpg", buf.getvalue())],
                        message_id="<photo-probe@example-zhixie.cn>")

    first, looked, at_once = _looked_and_checked(cfg, drop, pool, raw)
    [photo] = [d for d in first["documents"] if d["filename"] == "IMG_2031.jpg"]  # the daemon's pass
    assert photo["form"] == "application" and photo["read_by"] != "ocr"
    assert any(LATER in (p["detail"] or "") for p in photo["problems"])
    [photo_doc] = [d for d in looked["documents"] if d["filename"] == "IMG_2031.jpg"]
    assert photo_doc["read_by"] == "ocr" and photo_doc["fields"].get("company") == group.company
    assert photo_doc["fields"] == [d for d in at_once["documents"] if d["filename"] == "IMG_2031.jpg"][0]["fields"]
    assert _finding_keys(looked) == _finding_keys(at_once)
