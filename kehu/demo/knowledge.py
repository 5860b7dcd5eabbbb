"""Demo knowledge for ``kehu demo``: a category tree, a few dozen Chinese articles on the demo
catalogue's products and on policies (returns, complaints, invoices…), experts, and questions
in every state. Written through the services, so versions and search terms are real."""

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import User
from kehu.knowledge import questions, services
from kehu.knowledge.models import Article, Category, Question
from kehu.sales.models import PipelineStage, Product

TREE = {
    "产品知识": ["家电", "茶叶与酒水", "母婴与食品", "办公与原材料"],
    "业务流程": ["订单与发货", "发票与结算", "销售打法"],
    "服务与投诉处理": ["退换货", "投诉处理"],
    "市场": ["竞品与行情"],
    "政策": ["价格与促销", "保密与合规"],
}

# (product code, child category, title, body, tags, public?)
PRODUCT_ARTICLES = [
    (
        "AC-15",
        "家电",
        "1.5匹变频空调安装须知",
        "安装前请确认：\n\n1. 专用插座，电源线截面积不小于 2.5 平方毫米；\n2. 外机位置通风良好，"
        "距离墙面不少于 10 厘米；\n3. 铜管超过 3 米的部分按 **60 元/米** 收费。\n\n安装完成后"
        "请试机 15 分钟，确认制冷和排水正常。",
        ["安装", "空调"],
        True,
    ),
    (
        "AC-15",
        "家电",
        "空调外机漏水怎么处理",
        "制冷时外机滴水属正常冷凝水。室内机漏水多为**排水管弯折或堵塞**：检查排水管是否低于出水口，"
        "清理过滤网；仍漏水请预约上门检修，保修期内免费。",
        ["漏水", "维修"],
        True,
    ),
    (
        "AC-15",
        "家电",
        "变频空调保修政策",
        "整机保修 6 年，压缩机保修 10 年。人为损坏、自行拆机不在保修范围。"
        "保修需提供购买发票或订单号。",
        ["保修"],
        True,
    ),
    (
        "TV-65",
        "家电",
        "智能电视无法开机排查",
        "1. 检查电源指示灯；\n2. 拔掉电源 5 分钟后重试；\n3. 指示灯闪烁请记录闪烁次数并报修。",
        ["电视", "故障"],
        True,
    ),
    (
        "TV-65",
        "家电",
        "电视挂架安装服务说明",
        "挂架安装需确认墙体为实心墙，石膏板墙需加固。安装费 199 元/次，含挂架。",
        ["安装"],
        True,
    ),
    (
        "FRIDGE",
        "家电",
        "冰箱不制冷常见原因",
        "检查温控档位、门封条是否严密、散热空间是否充足（两侧各 10 厘米）。新机通电后需 4 小时"
        "才能达到设定温度。",
        ["冰箱", "故障"],
        True,
    ),
    (
        "PURIFY",
        "家电",
        "空气净化器滤芯更换周期",
        "滤芯建议 **6 个月**更换一次；提示灯亮起时请及时更换。滤芯为耗材，不在保修范围。",
        ["滤芯", "耗材"],
        True,
    ),
    (
        "TEA-LJ",
        "茶叶与酒水",
        "西湖龙井的储存与冲泡",
        "密封、避光、冷藏（0–5℃）保存。冲泡水温 80–85℃，玻璃杯上投法，茶水比 1:50。",
        ["龙井", "冲泡"],
        True,
    ),
    (
        "TEA-PE",
        "茶叶与酒水",
        "普洱茶饼保存方法",
        "常温、通风、无异味处保存，相对湿度 60–70%。不要冷藏。",
        ["普洱", "储存"],
        True,
    ),
    (
        "WIN-MT",
        "茶叶与酒水",
        "茅台真伪鉴别要点",
        "查看瓶盖防伪码、瓶身喷码与箱码一致，扫描官方溯源码。**怀疑假酒时不要开瓶**，"
        "请联系客服并保留包装。",
        ["鉴别", "茅台"],
        True,
    ),
    (
        "WIN-MT",
        "茶叶与酒水",
        "茅台渠道供货价（内部）",
        "渠道供货价以当月价格表为准，对外报价不得低于指导价。",
        ["价格"],
        False,
    ),
    (
        "MILK-3",
        "母婴与食品",
        "婴幼儿奶粉冲调与过敏处理",
        "70℃以上温水冲调，现冲现喝。出现皮疹、腹泻等过敏症状请立即停用并就医，"
        "凭就诊记录可办理退货。",
        ["奶粉", "过敏"],
        True,
    ),
    (
        "DIAPER",
        "母婴与食品",
        "纸尿裤尺码选择",
        "L 码适合 9–14 公斤的宝宝。红屁股请勤换并保持干爽，持续不好转请就医。",
        ["尺码"],
        True,
    ),
    (
        "MOON",
        "母婴与食品",
        "月饼礼盒保质期与配送",
        "广式月饼保质期 60 天，中秋前 7 天下单保证节前送达。",
        ["月饼", "配送"],
        True,
    ),
    (
        "LAPTOP",
        "办公与原材料",
        "笔记本电脑开票与保修",
        "企业客户可开增值税专用发票。整机保修 2 年，电池 1 年。",
        ["发票", "保修"],
        True,
    ),
    (
        "STEEL-T",
        "办公与原材料",
        "热轧卷板质检与异议处理",
        "到货 3 日内提出质量异议，附质检报告和照片。超期视为验收合格。",
        ["质检", "异议"],
        False,
    ),
    (
        "CEMENT",
        "办公与原材料",
        "水泥交货与验收",
        "散装水泥按过磅数量结算，袋装按件。每批附出厂检验报告。",
        ["交货"],
        False,
    ),
]

POLICY_ARTICLES = [
    (
        "退换货",
        "退货政策",
        "自签收之日起 **7 天无理由退货**（食品、定制品除外），商品需完好、配件齐全。\n\n"
        "- 质量问题：运费由我方承担；\n- 非质量问题：运费由客户承担；\n- 退款在收到退货后 3 个"
        "工作日内原路退回。",
        ["退货", "退款"],
        True,
    ),
    (
        "退换货",
        "换货流程",
        "15 天内质量问题可换货：客服登记 → 上门取件 → 检测 → 发出新品。检测无质量问题的，"
        "按原件退回。",
        ["换货"],
        True,
    ),
    (
        "投诉处理",
        "客户投诉处理流程",
        "1. **先安抚情绪**，复述问题确认理解；\n2. 2 小时内首次回复，24 小时内给出处理方案；\n"
        "3. 处理完毕回访满意度。\n\n涉及退货的按《退货政策》办理。",
        ["投诉", "流程"],
        False,
    ),
    (
        "投诉处理",
        "投诉升级规则",
        "同一客户 30 天内第二次投诉、或涉及人身安全、媒体曝光的投诉，立即升级到客服主管。",
        ["投诉", "升级"],
        False,
    ),
    (
        "发票与结算",
        "发票开具说明",
        "订单完成后可申请电子普通发票或增值税专用发票（需提供开票资料）。发票在 3 个工作日内开出。",
        ["发票"],
        True,
    ),
    (
        "订单与发货",
        "物流配送时效",
        "江浙沪次日达，其他地区 2–4 天，偏远地区 5–7 天。大件家电预约送货上门。",
        ["物流", "配送"],
        True,
    ),
    (
        "订单与发货",
        "分期付款办理",
        "单笔满 3000 元可申请 3/6/12 期分期，需本人身份证和银行卡，审批约 30 分钟。",
        ["分期", "付款"],
        True,
    ),
    (
        "价格与促销",
        "会员积分规则",
        "每消费 1 元积 1 分，积分有效期 1 年，100 分抵 1 元。",
        ["积分", "会员"],
        True,
    ),
    (
        "价格与促销",
        "2026年春节促销价格表",
        "活动期间家电满 3000 减 300，茶叶礼盒第二件半价。**活动结束后本价格表作废。**",
        ["促销", "价格表"],
        False,
    ),
    (
        "保密与合规",
        "客户资料保密规定",
        "客户身份证号、住址、收入等敏感信息仅限授权人员查看，查看和导出均有审计记录。"
        "严禁通过个人微信传输客户资料。",
        ["保密", "合规"],
        False,
    ),
    (
        "保密与合规",
        "欠款催收流程",
        "逾期 30 天电话提醒，60 天发函，90 天移交法务。大客户催收前先与客户经理沟通。",
        ["欠款", "催收"],
        False,
    ),
    (
        "竞品与行情",
        "空调市场竞品对比",
        "主要竞品价格带 2500–3500 元，我方优势：6 年整机保修、免费上门安装。",
        ["竞品", "空调"],
        False,
    ),
    (
        "业务流程",
        "大客户节日关怀操作指引",
        "春节、中秋前两周由客户经理发送祝福并安排礼品，礼品标准按客户等级执行。",
        ["大客户", "关怀"],
        False,
    ),
    (
        "业务流程",
        "赢单复盘：企业采购笔记本电脑",
        "**赢单原因**：响应快、提供试用机、分期付款。\n\n**经验**：企业客户重视开票和售后"
        "响应时效，报价时一并说明。",
        ["赢单", "复盘"],
        False,
    ),
]

QUESTIONS = [
    # (text, product code, category, urgency, channel, what happens)
    ("客户问空调安装后外机噪音大，是否属于质量问题？", "AC-15", "家电", "high", "call", "open"),
    (
        "龙井礼盒可以开具增值税专用发票吗？",
        "TEA-LJ",
        "茶叶与酒水",
        "normal",
        "customer_page",
        "with_expert",
    ),
    (
        "奶粉开罐后发现结块，客户要求退货怎么处理？",
        "MILK-3",
        "母婴与食品",
        "urgent",
        "service_case",
        "answered",
    ),
    ("茅台礼盒包装破损能换吗？", "WIN-MT", "茶叶与酒水", "normal", "service_case", "closed"),
    ("退货运费谁承担？", "", "退换货", "low", "feedback", "from_knowledge"),
    ("净化器滤芯能单独购买吗？", "PURIFY", "家电", "normal", "web_form", "suggested"),
    (
        "热轧卷板到货厚度偏差超标，客户拒收怎么办？",
        "STEEL-T",
        "办公与原材料",
        "high",
        "customer_page",
        "lapsed",
    ),
]


# Playbooks (销售打法) for pipeline stages: (stage code, title, body, tags)
PLAYBOOKS = [
    (
        "needs_analysis",
        "需求分析阶段打法：问清楚四件事",
        "1. **谁拍板**：采购、使用部门还是老板？\n2. **预算**：今年是否已立项，金额区间。\n"
        "3. **时间**：什么时候要到货，倒推下单日期。\n4. **现状**：现在用谁家的，哪里不满意。\n\n"
        "四件事问清楚之前不要报价。",
        ["需求分析", "打法"],
    ),
    (
        "proposal",
        "方案报价阶段打法：两套方案，一个推荐",
        "给客户两套方案（标准版与升级版），**明确推荐其中一套**并说明理由。报价单注明有效期"
        "（一般 15 天），附上同行业客户案例。报价后 3 个工作日内电话跟进。",
        ["报价", "打法"],
    ),
    (
        "negotiation",
        "商务谈判阶段打法：让步要换条件",
        "- 每一次降价都要换回条件：预付款比例、签约时间、采购量或转介绍。\n"
        "- 折扣超过 10% 需销售经理审批。\n- 谈判记录当天写进跟进记录，竞争对手写进商机。",
        ["谈判", "折扣", "打法"],
    ),
]


@transaction.atomic
def demo_knowledge_load(*, manager: str, asker: str, experts: dict[str, list[str]]) -> int:
    """Load the demo knowledge; ``experts`` maps a username to child category names."""
    if Article.objects.exists():
        return 0
    users = {u.username: u for u in User.objects.filter(username__in=[manager, asker, *experts])}
    boss, agent = users[manager], users[asker]
    cats: dict[str, Category] = {}
    for position, (root, children) in enumerate(TREE.items()):
        parent = services.category_create(user=boss, name=root)
        parent.position = position
        parent.save(update_fields=["position"])
        cats[root] = parent
        for child in children:
            cats[child] = services.category_create(user=boss, name=child, parent=parent)
    products = {p.code: p for p in Product.objects.all()}
    today = timezone.localdate()
    made = 0

    def publish(title: str, body: str, category: str, tags: list[str], public: bool,
                product_codes: list[str]) -> Article:  # fmt: skip
        article = services.article_create(
            user=agent,
            title=title,
            body=body,
            category=cats[category],
            tags=tags,
            products=[products[c] for c in product_codes if c in products],
            audience="public" if public else "internal",
            valid_until=today - timedelta(days=30) if "促销" in title else None,
        )
        services.article_submit(user=agent, article=article)
        return services.article_publish(user=boss, article=article)

    for code, category, title, body, tags, public in PRODUCT_ARTICLES:
        publish(title, body, category, tags, public, [code])
        made += 1
    for category, title, body, tags, public in POLICY_ARTICLES:
        publish(title, body, category, tags, public, [])
        made += 1
    stages = {stage.code: stage for stage in PipelineStage.objects.all()}
    for code, title, body, tags in PLAYBOOKS:
        if code in stages:
            playbook = services.article_create(
                user=agent, title=title, body=body, category=cats["销售打法"], tags=tags,
                stage=stages[code],
            )  # fmt: skip
            services.article_submit(user=agent, article=playbook)
            services.article_publish(user=boss, article=playbook)
            made += 1
    draft = services.article_create(
        user=agent, title="以旧换新活动说明（草稿）", body="旧家电折价标准待定。",
        category=cats["价格与促销"],
    )  # fmt: skip
    services.article_submit(user=agent, article=draft)
    for username, topics in experts.items():
        questions.expert_set(
            user=boss, expert_user=users[username], categories=[cats[t] for t in topics],
            products=[],
        )  # fmt: skip
    now = timezone.now()
    for text, code, category, urgency, channel, state in QUESTIONS:
        question = questions.question_ask(
            user=agent, text=text, product=products.get(code), category=cats[category],
            urgency=urgency, channel=channel,
            suggestions=1 if state in ("suggested", "from_knowledge") else 0,
        )  # fmt: skip
        if state == "open":
            Question.objects.filter(pk=question.pk).update(status="open", expert=None)
        elif state in ("answered", "closed"):
            assert question.expert is not None  # noqa: S101  (routed above)
            questions.question_answer(
                user=question.expert,
                question=question,
                text="可以，按退换货流程办理，运费我方承担。",
            )
            if state == "closed":
                questions.question_close(user=agent, question=question)
        elif state == "from_knowledge":
            policy = Article.objects.get(title="退货政策")
            questions.question_answered_from_knowledge(
                user=agent, question=question, article=policy
            )
        elif state == "lapsed":
            Question.objects.filter(pk=question.pk).update(due_at=now - timedelta(hours=1))
    questions.questions_escalate(now=now)
    return made + 1


def demo_knowledge_report(*, write: Callable[[str], None]) -> None:
    articles = demo_knowledge_load(
        manager="wangfang",
        asker="sunli",
        experts={"zhaoqiang": ["家电", "办公与原材料"], "liuyang": ["茶叶与酒水", "母婴与食品"],
                 "chenjing": []},
    )  # fmt: skip
    write(f"Demo knowledge: {articles} articles, {Question.objects.count()} questions")
