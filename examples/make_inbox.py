"""Write the example inbox: six realistic submission messages from September 2020.

Run as ``python examples/make_inbox.py`` (from the repository root); it rewrites
``examples/inbox/*.eml`` and ``examples/roster.csv`` deterministically (fixed seeds and dates), so the committed files and a
fresh run are identical. The messages: a complete on-time submission, an incomplete one, a late
one, the incomplete unit's correction (the missing 统计表 and PDF copy), an out-of-office
auto-reply, and one in legacy .doc/.xls formats. ``--expected`` also writes what each message
should give (``*.expected.json``), for eyeballing the pipeline's output.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.data import make_unit  # noqa: E402
from tests.fixtures.form_submission import submission_message  # noqa: E402
from tests.fixtures.mail import build_message  # noqa: E402

CST = timezone(timedelta(hours=8))


def messages() -> list[tuple[str, bytes, dict]]:
    """(file name, raw message, expected) for each example message."""
    out = []
    jiangsu = make_unit(2020, 2, recommender_index=0)
    raw, exp = submission_message(jiangsu, style="mixed", variant=0,
                                  received=datetime(2020, 9, 10, 9, 41, tzinfo=CST),
                                  subject="江苏省质协2020年全国优秀QC小组推荐材料")
    out.append(("01-jiangsu-complete.eml", raw, exp))

    zhejiang = make_unit(2021, 2, recommender_index=1)
    raw, exp = submission_message(zhejiang, style="incomplete", variant=3,
                                  received=datetime(2020, 9, 11, 16, 5, tzinfo=CST),
                                  subject="浙江省质协 2020年QC小组推荐材料")
    out.append(("02-zhejiang-incomplete.eml", raw, exp))

    shandong = make_unit(2022, 2, recommender_index=2)
    raw, exp = submission_message(shandong, style="late", variant=5, subject="山东省质量管理协会QC小组材料（补报）")
    out.append(("03-shandong-late.eml", raw, exp))

    raw, exp = submission_message(zhejiang, style="loose", variant=3, only=["statistics"],
                                  received=datetime(2020, 9, 14, 11, 30, tzinfo=CST),
                                  subject="回复：浙江省质协 2020年QC小组推荐材料（补充统计表）")
    out.append(("04-zhejiang-correction.eml", raw, exp))

    when = datetime(2020, 9, 12, 8, 2, tzinfo=CST)
    raw = build_message([], subject="自动回复: 我现在不在办公室", from_addr="liming@example-sichuan.cn",
                        from_name="李明", date=when, received=when,
                        message_id="<autoreply-20200912@example-sichuan.cn>",
                        body="您好，我于9月11日至9月18日休假，期间不便回复邮件，急事请致电028-86660000。",
                        extra_headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"})
    out.append(("05-autoreply.eml", raw, {"status": None, "documents": [], "defects": [], "style": "autoreply"}))

    sichuan = make_unit(2024, 2, recommender_index=3)
    raw, exp = submission_message(sichuan, style="legacy", variant=7,
                                  received=datetime(2020, 9, 15, 23, 40, tzinfo=CST),
                                  subject="四川省质量协会2020年QC小组推荐材料")
    out.append(("06-sichuan-legacy.eml", raw, exp))
    return out


#: The example roster (examples/roster.csv): the four units that write to the example inbox, one that
#: has not sent anything yet, and an industry association with two addresses.
ROSTER = [
    ("推荐单位", "类型", "邮箱", "别名"),
    ("江苏省质量协会", "省市", "qc20@sina.com", "江苏省质协"),
    ("浙江省质量协会", "省市", "qc21@sina.com", "浙江省质协"),
    ("山东省质量管理协会", "省市", "qc22@sina.com", "山东省质协"),
    ("四川省质量协会", "省市", "qc24@qq.com", "四川省质协"),
    ("广东省质量协会", "省市", "gdqa@example-guangdong.cn", "广东省质协"),
    ("电力行业质量协会", "行业", "dlqa@example-power.cn；dlqa2@example-power.cn", "中电质协"),
]


def roster_csv() -> bytes:
    """The example roster as the office would save it from Excel (UTF-8 with BOM, CRLF)."""
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(ROSTER)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _jsonable(x):
    return x.isoformat() if hasattr(x, "isoformat") else str(x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "examples" / "inbox", help="output folder")
    ap.add_argument("--roster", type=Path, default=ROOT / "examples" / "roster.csv", help="roster file to write")
    ap.add_argument("--expected", action="store_true", help="also write <name>.expected.json")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.eml"):
        old.unlink()
    total = 0
    for name, raw, exp in messages():
        (args.out / name).write_bytes(raw)
        total += len(raw)
        if args.expected:
            (args.out / name).with_suffix(".expected.json").write_text(
                json.dumps(exp, ensure_ascii=False, indent=1, default=_jsonable), encoding="utf-8")
        print(f"{name}  {len(raw) / 1024:.0f} KB  expected status: {exp['status']}")
    print(f"{len(list(args.out.glob('*.eml')))} messages, {total / 1024 / 1024:.2f} MB in {args.out}")
    args.roster.write_bytes(roster_csv())
    print(f"roster: {args.roster} ({len(ROSTER) - 1} units)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
