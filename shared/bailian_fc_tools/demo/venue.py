"""Demo clue details for ``demo-data``: staff, customers with visits and spending, clues with
follow-ups and notes — deterministic per ``(seed, site)`` like the finance sample.

Clue ids carry the site's number (``cl-001-003``), so a clue id of one site never names a clue
of another: asking for it from another site is a 404, which the tests rely on.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from bailian_fc.venue.models import Clue, ClueDetail, Customer, FollowUp, Purchase, Staff, Visit

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
CATEGORIES = {
    "团建": ("下周公司团建，想订三个包厢，问能否打折", "团建人数确认为 18 人，需要包厢和饮料套餐"),
    "教练课": ("想报中式八球教练课，问有没有体验价", "体验课后反馈不错，考虑买 10 节课包"),
    "会员充值": ("问充 1000 元送多少，想等活动再充", "活动期间愿意充 2000 元，关心余额有效期"),
    "比赛": ("想报名本月八球积分赛", "问比赛奖品和报名费，可能带两位朋友一起"),
    "包厢预约": ("周五晚上常来，问能否固定预约 VIP 房", "希望每周五 20 点固定 VIP 房，接受预付"),
}
AREAS = (("大厅", "中式八球"), ("斯诺克区", "斯诺克"), ("包厢区", "中式八球"), ("VIP房", "中式八球"))
LEVELS = (None, "银卡", "金卡", "钻石卡")


def _number(site_id: str) -> str:
    return site_id.rsplit("-", 1)[-1]


def site_staff(site_id: str, *, start: date) -> list[Staff]:
    n = _number(site_id)
    names = ("小周", "阿杰", "丽丽")
    return [
        Staff(staff_id=f"st-{n}-{i + 1}", name=name, role="manager" if i == 0 else "staff", since_date=start)
        for i, name in enumerate(names)
    ]


def site_clues(site_id: str, *, end: date, days: int, seed: int = 7, count: int = 12) -> list[ClueDetail]:
    """``count`` clue details of one site over the ``days`` days ending ``end`` (pure)."""
    rng = random.Random(f"{seed}:{site_id}:clues")
    start = end - timedelta(days=days - 1)
    staff = site_staff(site_id, start=start)
    n = _number(site_id)
    customers: list[tuple[Customer, list[Visit], list[Purchase]]] = []
    for c in range(max(1, count - count // 5)):  # a few customers get two clues (App8's case)
        registered = start + timedelta(days=rng.randint(0, max(0, days // 2)))
        customer = Customer(
            customer_id=f"cu-{n}-{c + 1:03d}",
            name=rng.choice(SURNAMES) + rng.choice(("先生", "女士")),
            gender=rng.choice(("male", "female", "unknown")),
            age_range=rng.choice(("18-25", "26-35", "36-45", None)),
            member_level=rng.choice(LEVELS),
            phone_tail=f"{rng.randint(0, 9999):04d}",
            balance=float(rng.choice((0, 120, 380, 860, 1500))),
            registered_date=registered,
        )
        visits, purchases = [], []
        span = (end - registered).days
        for d in sorted(registered + timedelta(days=rng.randint(0, span)) for _ in range(rng.randint(2, 24))):
            area, table = rng.choice(AREAS)
            hours = round(rng.uniform(1.0, 4.5), 1)
            spend = round(hours * rng.choice((36.0, 42.0, 58.0, 88.0)), 2)
            visits.append(
                Visit(business_date=d, area=area, table_type=table, duration_hours=hours, spend=spend)
            )
            purchases.append(Purchase(business_date=d, amount=spend, category="table"))
            if rng.random() < 0.4:
                purchases.append(
                    Purchase(business_date=d, amount=float(rng.choice((18, 36, 60))), category="goods")
                )
        if rng.random() < 0.3:
            purchases.append(
                Purchase(business_date=registered, amount=float(rng.choice((500, 1000))), category="recharge")
            )
        customers.append((customer, visits, sorted(purchases, key=lambda p: p.business_date)))
    details = []
    for k in range(count):
        customer, visits, purchases = customers[k % len(customers)]
        category = rng.choice(sorted(CATEGORIES))
        first, later = CATEGORIES[category]
        opened = customer.registered_date + timedelta(
            days=rng.randint(0, (end - customer.registered_date).days)
        )
        owner = rng.choice(staff)
        follow_ups = []
        for j in range(rng.randint(0, 4)):
            when = opened + timedelta(days=rng.randint(0, max(0, (end - opened).days)))
            follow_ups.append(
                FollowUp(
                    business_date=when,
                    kind="note" if j % 2 else "follow_up",
                    channel=rng.choice(("in_store", "wechat", "phone")),
                    staff_id=owner.staff_id,
                    content=later if j % 2 else f"{owner.name}跟进：{first}",
                )
            )
        clue = Clue(
            clue_id=f"cl-{n}-{k + 1:03d}",
            customer_id=customer.customer_id,
            business_date=opened,
            category=category,
            content=first,
            status=rng.choice(("open", "following")),
            assigned_staff_id=owner.staff_id,
        )
        details.append(
            ClueDetail(
                site_id=site_id,
                clue=clue,
                customer=customer,
                assigned_staff=owner,
                visits=visits,
                purchases=purchases,
                follow_ups=sorted(follow_ups, key=lambda f: f.business_date),
            )
        )
    return details
