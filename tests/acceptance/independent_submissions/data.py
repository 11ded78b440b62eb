"""The data of one provincial submission, independent of how it is typed up.

A second, independent look at the input (written without reading the other generators): the
secretary's own data, which the builders turn into Word/Excel/PDF files, and which the tests
compare the pipeline's fields against.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

SENTENCES = [
    "全年共组织开展质量管理小组活动推进会议多次，覆盖全省重点行业和骨干企业。",
    "各市质协结合本地实际，制定了小组活动推进计划，明确了年度目标和责任分工。",
    "通过举办诊断师培训班和线上公开课，进一步提升了基层骨干运用质量工具的能力。",
    "小组成果发表会采用现场与视频相结合的方式，评委逐一点评，交流效果良好。",
    "在疫情防控常态化条件下，坚持线上指导与线下辅导相结合，确保活动不断线。",
    "部分企业将小组活动与精益生产、六西格玛管理有机融合，形成了特色做法。",
    "通过宣贯《质量管理小组活动准则》，小组活动程序更加规范，成果质量明显提升。",
    "基层一线员工参与热情高涨，青年员工和女职工小组数量较上年有所增长。",
    "我们注重发挥优秀小组的示范引领作用，组织优秀成果巡回交流和现场观摩。",
    "个别企业对小组活动重视不够，存在重成果发表、轻过程管理的现象。",
    "部分小组运用统计方法不够恰当，数据收集不充分，因果关系论证不严密。",
    "下一步将加强专家队伍建设，完善成果评价机制，推动成果转化和推广应用。",
]


def filler(n_chars: int, start: int = 0) -> list[str]:
    """Paragraphs of real-looking prose totalling at least ``n_chars`` non-space characters."""
    out, total, i = [], 0, start
    while total < n_chars:
        para = "".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(4))
        out.append(para)
        total += len(para)
        i += 1
    return out


def evaluation(n_chars: int, seed: int) -> str:
    """An 成果评价 text of exactly ``n_chars`` characters."""
    parts = [
        "优势：选题紧密结合生产实际，现状调查数据充分，",
        "要因确认采用现场试验和统计分析，结论可信；",
        "对策实施步骤清晰，效果检查有对比数据，经济效益显著。",
        "不足：目标可行性论证略显简单，",
        "巩固措施中标准化内容需进一步细化，",
        "部分图表的绘制不够规范。",
    ]
    text, i = "", seed
    while len(text) < n_chars:
        text += parts[i % len(parts)]
        i += 1
    return text[:n_chars]


@dataclass
class Group:
    company: str
    group_name: str
    topic: str
    topic_type: str  # "问题解决型" / "创新型"; the builder may tick both or none
    address: str
    postcode: str
    contact_dept: str
    contact_person: str
    mobile: str
    members: list[str]
    intro: str
    date: str  # YYYY-MM-DD
    tick: str = "one"  # "one", "both", "none"
    score: float = 88.5
    evaluation_len: int = 160


@dataclass
class Judge:
    name: str
    employer: str
    certificate_no: str
    mobile: str


@dataclass
class Stats:
    # (value as the secretary types it, value the contract expects)
    cells: dict[str, tuple[object, object]]
    meeting_held: str = "是"


@dataclass
class Submission:
    recommender: str
    groups: list[Group]
    judges: list[Judge]
    stats: Stats
    summary_chars: int = 3600
    summary_sections: list[str] = field(default_factory=lambda: ["一、基本情况", "二、推进经验和做法",
                                                                 "三、存在问题及改进方向"])
    filled_by: str = "王晓梅"
    phone: str = "0571-85123456"
    form_date: str = "2020年9月10日"
    # what differs between the forms (defects planted on purpose)
    recommendation_groups: list[tuple[str, str, str]] | None = None  # (company, group, type) override
    review_names: list[str] | None = None

    def clone(self) -> Submission:
        return copy.deepcopy(self)


def base_submission(province: str = "浙江省质量协会", n_groups: int = 2, n_judges: int = 7) -> Submission:
    companies = [
        ("杭州钱塘精密机械有限公司", "精益求精QC小组", "降低齿轮箱壳体加工废品率", "问题解决型"),
        ("宁波港湾电力设备股份有限公司", "绿色能源QC小组", "研制变电站巡检机器人快速充电装置", "创新型"),
        ("温州瓯江化工集团有限公司", "安全卫士QC小组", "缩短反应釜清洗时间", "问题解决型"),
    ]
    people = ["陈建国", "林晓燕", "周志强", "吴丽华", "郑海涛", "王芳", "赵磊", "孙敏", "黄伟", "徐静",
              "朱明", "胡颖"]
    groups = []
    for i, (co, gn, topic, tt) in enumerate(companies[:n_groups]):
        groups.append(Group(
            company=co, group_name=gn, topic=topic, topic_type=tt,
            address=f"浙江省杭州市滨江区江南大道{1200 + i * 7}号",
            postcode=f"3100{51 + i}",
            contact_dept="质量管理部", contact_person=people[i], mobile=f"1385712{3400 + i:04d}",
            members=people[i:i + 6 + i],
            intro="".join(filler(400, start=i))[:420],
            date=f"2020-09-0{3 + i}",
            score=88.5 + i * 2,
        ))
    judges = [Judge(name=n, employer=f"浙江省{['计量','特种设备','标准化','电力','化工'][k % 5]}研究院",
                    certificate_no=f"ZJ-QC-2019-{101 + k:04d}", mobile=f"1390571{5600 + k:04d}")
              for k, n in enumerate(["马建华", "何志勇", "高秀英", "罗文", "梁红", "宋国庆", "唐丽", "韩冰",
                                     "冯涛", "邓洁", "曹阳", "彭军"][:n_judges])]
    stats = Stats(cells={
        "groups_registered_total": ("1.2", 1.2),
        "groups_registered_year": ("0.35", 0.35),
        "participation_rate": ("56.8%", 56.8),
        "groups_active_year": ("0.31", 0.31),
        "benefit_total": ("12,345.6", 12345.6),
        "benefit_year": ("1,234.5", 1234.5),
        "achievement_rate": ("42.5", 42.5),
        "funding_year": ("86.3", 86.3),
        "reward_year": ("45", 45),
        "meeting_signups": ("36", 36),
        "meeting_presented": ("32", 32),
        "meeting_time": ("2020年8月18日", None),
        "meeting_place": ("杭州市", "杭州市"),
        "meeting_attendees": ("260", 260),
        "responsible": ("质量活动部 赵建平", None),
        "contact_person": ("王晓梅", "王晓梅"),
        "mobile": ("13705718899", "13705718899"),
        "email": ("zjqc2020@163.com", "zjqc2020@163.com"),
        "address": ("杭州市西湖区文三路90号", "杭州市西湖区文三路90号"),
        "postcode": ("310012", "310012"),
    })
    return Submission(recommender=province, groups=groups, judges=judges, stats=stats)
