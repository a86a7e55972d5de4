"""Short Chinese texts: case summaries, event details, screening notes.

Summaries say what is asked and why, about a place or a project; never who asks."""

from __future__ import annotations

from gridrisk.vocab import Category

C = Category

CASE_SUMMARIES: dict[str, tuple[str, ...]] = {
    C.land_requisition: (
        "{place}村民反映承包地{area}亩被征收后补偿款未足额发放，要求按标准补偿",
        "反映{place}土地征收安置补偿标准偏低（涉及{area}亩），要求提高补偿",
        "反映{place}宅基地{when}拆迁后安置房迟迟未交付",
        "对{place}集体土地征收程序有异议，要求公开征地批复",
    ),
    C.wages_labour: (
        "反映在{place}附近{site}务工被拖欠工资约{amount}万元，要求支付",
        "反映{site}拖欠{place}务工人员工资{amount}万元",
        "反映{when}在{site}工伤后用人单位拒不支付赔偿，要求依法处理",
        "反映{site}未签订劳动合同、未缴纳社会保险",
    ),
    C.housing_property: (
        "反映{place}{room}所购商品房逾期未交房，要求开发商履约",
        "反映{place}{room}购房户多年办不下不动产权证",
        "反映{place}{room}房屋墙体开裂、漏水，要求开发商维修",
    ),
    C.property_management: (
        "反映{place}{room}所在小区物业服务差、乱收费",
        "反映{place}{room}所在居民楼电梯长期故障无人维修",
        "反映{place}业主委员会{when}选举不规范",
        "反映{place}小区停车位和公共收益分配不透明",
    ),
    C.social_security: (
        "反映{when}退休后养老保险待遇核定有误，要求重新核算",
        "反映{place}低保资格{when}被取消，要求恢复",
        "认为{when}住院的城乡居民医保报销比例偏低，要求解释",
        "反映{place}被征地农民社会保障未落实",
    ),
    C.medical: (
        "反映{when}在县医院就诊后出现并发症，认为存在医疗过错",
        "对{when}作出的医疗损害鉴定结论不服，要求重新鉴定",
        "反映{place}卫生室{when}收费不规范",
    ),
    C.environment: (
        "反映{place}附近养殖场异味扰民，{when}以来持续",
        "反映{place}周边企业{when}起夜间噪声扰民",
        "反映{place}河道{when}以来被倾倒垃圾、污水直排",
        "反映{place}附近砂石厂粉尘污染，{when}起影响{area}亩庄稼",
    ),
    C.veterans: (
        "退役军人反映{when}以来安置待遇未落实",
        "反映参战退役人员生活补助{when}起未按标准发放",
        "退役军人反映就业安置问题，要求协调",
    ),
    C.financial_loss: (
        "反映在投资理财平台的资金{when}到期无法兑付，损失约{amount}万元",
        "反映{when}被以高息为名非法集资，涉及金额{amount}万元",
        "反映{place}农民专业合作社吸收资金{amount}万元后无法兑付",
    ),
    C.court_related: (
        "对法院{when}作出的民事判决不服，要求重新审理",
        "反映法院{when}判决生效后长期执行不到位，涉及{amount}万元",
        "反映诉讼案件{when}立案后审理超期，要求督促",
    ),
    C.other: (
        "反映{place}邻里宅基地边界纠纷（{when}起）",
        "反映{place}道路{when}起损坏影响出行，要求维修",
        "反映{place}财务公开不及时，要求公开集体收支",
        "反映{place}家庭赡养纠纷（{when}起），要求协调",
        "反映{place}{when}以来饮水安全问题",
        "反映{place}土地承包经营权纠纷（涉及{area}亩）",
    ),
}

#: a village's part (村民小组) and a community's building, so that a summary says where
VILLAGE_GROUPS = (*(f"{n}组" for n in "一二三四五六七八九十"), "十一组", "十二组")
#: where wages are owed
WORK_SITES = ("建筑工地", "装修公司", "食品厂", "服装厂", "物流公司", "砖厂", "家具厂",
              "劳务公司", "养殖场", "汽修厂")
#: what a complainant says who will not let the matter rest (hints of determination)
PRESSING = ("多次反映未果", "情绪激动", "扬言越级上访", "要求赴省反映", "称将进京上访",
            "已向媒体反映", "要求限期答复")
#: what a complainant says who mostly wants an answer
MILD = ("咨询相关政策", "希望尽快处理", "要求说明情况")
#: how a repeat call or visit on a matter already raised is written down
REPEAT_OPENINGS = ("再次反映：", "多次来电反映：", "此前反映问题仍未解决，再次反映：",
                   "重复反映：")

#: summaries of a hotspot's own cases, by hotspot kind and category; {place} is its label
HOTSPOT_SUMMARIES: dict[str, dict[str, tuple[str, ...]]] = {
    "land_project": {C.land_requisition: (
        "反映{place}征地补偿标准偏低（{home}，涉及{area}亩），要求提高补偿",
        "反映{place}拆迁安置房迟迟未交付，涉及{home}{area}亩宅基地",
        "对{place}征收{home}土地的范围和程序有异议，要求公开批复文件",
    )},
    "housing_estate": {
        C.housing_property: ("反映{place}{room}逾期交房，要求开发商承担违约责任",
                             "反映{place}{room}业主办不下不动产权证"),
        C.property_management: ("反映{place}{room}物业服务不到位、乱收费",
                                "反映{place}{room}业主与前期物业矛盾突出"),
    },
    "wage_site": {C.wages_labour: (
        "反映{place}拖欠{home}农民工工资约{amount}万元",
        "反映在{place}务工工资{amount}万元未结清，要求春节前支付",
    )},
    "pollution": {C.environment: (
        "反映{place}排放异味、噪声扰民，影响{home}",
        "反映{place}污水直排，影响{home}农田{area}亩",
    )},
    "fundraising": {C.financial_loss: (
        "反映{place}到期无法兑付，损失约{amount}万元",
        "反映{place}以高息为诱饵吸收资金{amount}万元后失联",
    )},
}

#: what a grid worker notes on finding a dispute, by category
SCREENING_FINDINGS: dict[str, tuple[str, ...]] = {
    C.land_requisition: ("群众对征地补偿有分歧", "拆迁户对安置方案有意见"),
    C.wages_labour: ("务工人员讨要工资", "工地工资结算纠纷"),
    C.housing_property: ("购房户反映办证难", "购房户反映逾期交房"),
    C.property_management: ("业主与物业服务费纠纷", "楼道堆物引发邻里矛盾"),
    C.social_security: ("群众对养老待遇有疑问", "低保评定有异议"),
    C.medical: ("患者家属与诊所医疗纠纷",),
    C.environment: ("养殖异味引发邻里矛盾", "企业噪声扰民"),
    C.veterans: ("退役军人反映待遇诉求",),
    C.financial_loss: ("群众反映投资平台无法兑付",),
    C.court_related: ("当事人对判决执行不满",),
    C.other: ("邻里宅基地边界纠纷", "家庭赡养纠纷", "土地承包地界纠纷", "婚姻家庭矛盾",
              "相邻通行纠纷"),
}

#: what a grid worker adds where feelings run high
TENSE_NOTE = "，群众情绪不稳定"

SCREENING_OUTCOMES: dict[str, str] = {
    "resolved_on_site": "，已现场化解",
    "mediating": "，正在调解",
    "referred": "，已移交相关部门",
    "became_case": "，已登记为信访事项",
}

#: not_accepted names the channel the matter belongs to
NOT_ACCEPTED: dict[str, str] = {
    C.wages_labour: "属于劳动争议，已告知向县劳动人事争议仲裁委员会申请仲裁",
    C.court_related: "属于诉讼程序事项，已告知依法向人民法院申请再审或执行",
    C.medical: "属于医疗损害赔偿，已告知通过医疗纠纷人民调解委员会或诉讼解决",
    C.financial_loss: "涉嫌非法集资，已告知向公安机关报案",
}
NOT_ACCEPTED_OTHERWISE = "不属于信访受理范围，已告知通过行政复议或诉讼途径解决"

EVENT_DETAILS: dict[str, str] = {
    "accepted": "依法受理",
    "accepted_again": "重新受理",
    "met_complainant": "包案领导约见信访人",
    "site_visit": "实地调查核实",
    "mediation": "组织双方调解",
    "hearing": "召开公开听证会",
    "opinion_issued": "出具书面处理意见",
    "review_requested": "申请复查",
    "review_decided": "复查维持原处理意见",
    "rereview_requested": "申请复核",
    "rereview_decided": "复核维持复查意见",
    "refiled": "对处理结果不满意，再次信访",
    "reopened": "回访发现问题反弹，重新办理",
    "reopened_from_above": "上级交办，重新办理",
}
#: escalated: where the complainants went
ESCALATED_TO: dict[str, str] = {
    "county": "赴县信访局反映",
    "city": "赴市信访局反映",
    "province": "赴省信访局反映",
    "national": "赴京反映",
}
