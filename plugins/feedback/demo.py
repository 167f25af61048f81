"""Demo feedback: the default categories, three departments, and items in every state whose
steps are spread over the past weeks, so the queue, the board and the measures show something real."""

from __future__ import annotations

from datetime import timedelta

from core.models import utcnow

from . import service, workflow
from .models import FeedbackDepartment, FeedbackMeToo

DEPARTMENTS = (("Reader services", "读者服务部"), ("Facilities", "后勤保障部"), ("Collections", "文献资源部"))

# One reader's item each, written in one language as that reader would, with where it happened
# and what the library did (in English and Chinese, as the board shows the reader's language):
# (category key, reader's words, location, we did (en), we did (zh))
SAMPLES = (
    ("noise", "三楼自习区晚上总有人打电话，声音很大，能不能多提醒一下？", "三楼自习区",
     "Quiet-zone signs and an evening walk-round on floor 3.", "三楼增设静音区标识，晚间安排馆员巡查。"),
    ("noise", "The group next to the 2F windows talks all afternoon. Could that area be made a quiet zone?",
     "2F window seats", "The window row on floor 2 is now a silent zone; group tables moved to the atrium.",
     "二楼靠窗一排改为静音区，小组讨论桌移至中庭。"),
    ("noise", "Someone's laptop keeps playing notification sounds in the silent room.", "4F silent room",
     "A card on every desk in the silent room asks readers to mute their devices.",
     "静音阅览室每张桌上放了“请将设备静音”的提示卡。"),
    ("noise", "四楼的推车轮子吱吱响，早上整理书架时特别吵。", "四楼书库",
     "The book trolleys' wheels were oiled and two worn ones replaced.", "书车轮子已上油，更换了两个磨损的轮子。"),
    ("noise", "The hand dryer in the 1F toilets can be heard from the reading room.", "1F toilets",
     "The dryers were swapped for quieter models.", "一楼卫生间的烘手机已换成低噪音型号。"),
    ("seats", "很多座位被书包占着，一上午都没人来。", "二楼阅览室",
     "Seats left empty for 30 minutes are now released by the booking system.",
     "座位预约系统现在会释放离座超过 30 分钟的座位。"),
    ("seats", "During exam week there are no free seats after 9 am. Could the seminar rooms open for study?",
     "", "Seminar rooms 301–306 are open for quiet study during exam weeks.",
     "考试周期间，301–306 研讨室开放作自习使用。"),
    ("seats", "能不能多放一些带台灯的单人座？晚上看书光线不够。", "三楼东侧",
     "Twenty single desks on floor 3 east now have their own lamps.", "三楼东侧新增 20 个带台灯的单人座。"),
    ("seats", "The booking app shows seats as free when someone is clearly sitting there.", "2F reading room",
     "The seat sensors on floor 2 were recalibrated; check-in now needs the QR code on the desk.",
     "二楼座位传感器已重新校准，签到需扫描桌上的二维码。"),
    ("seats", "研究生阅览室的椅子坐久了腰疼，可以换一批吗？", "五楼研究生阅览室",
     "Forty chairs in the graduate reading room were replaced with adjustable ones.",
     "研究生阅览室更换了 40 把可调节座椅。"),
    ("facilities", "二楼东侧的插座坏了，好几个都没电。", "二楼东侧",
     "All sockets on floor 2 were repaired and tested.", "二楼所有插座已维修并测试。"),
    ("facilities", "The Wi-Fi drops every few minutes on the 4th floor.", "4F reading room",
     "Two more access points were installed on floor 4.", "四楼新增两台无线接入点。"),
    ("facilities", "一楼大厅的饮水机热水不热了。", "一楼大厅",
     "The water dispenser's heater was replaced.", "饮水机的加热器已更换。"),
    ("facilities", "The self-checkout machine by the entrance often freezes on the receipt screen.",
     "1F entrance", "The kiosk's software was updated and it now prints receipts only on request.",
     "自助借还机软件已升级，只在需要时打印凭条。"),
    ("facilities", "三楼的空调太冷了，夏天也得穿外套。", "三楼自习区",
     "Floor 3 is now kept at 26 °C; blankets can be borrowed at the desk.", "三楼温度调至 26 °C，服务台可借毛毯。"),
    ("facilities", "Could there be more lockers? They are all taken by 8:30.", "1F lobby",
     "Sixty new lockers were added beside the lift, released at closing time.",
     "电梯旁新增 60 个储物柜，闭馆时自动释放。"),
    ("facilities", "卫生间的门锁坏了一个，请尽快修一下。", "三楼女卫生间",
     "The lock was repaired the same day.", "门锁已于当天修好。"),
    ("service", "希望考试周周末延长开放时间。", "",
     "Weekend opening extended to 22:00 during exam weeks.", "考试周周末开放时间延长至 22:00。"),
    ("service", "I returned a book through the drop box but it still shows as on loan.", "",
     "Drop-box returns are now checked in twice a day, and the overdue fine was waived.",
     "还书箱每天清点两次，相关逾期费用已免除。"),
    ("service", "馆际互借等了三周还没到，能不能告诉我进度？", "",
     "Interlibrary loan requests now show their status in your account.", "馆际互借申请的进度现在可在个人账户中查看。"),
    ("service", "Could the library run a workshop on citation managers like Zotero?", "",
     "A Zotero workshop runs on the first Wednesday of each month.", "每月第一个周三举办 Zotero 文献管理讲座。"),
    ("service", "打印机只能用校园卡付款，能不能支持手机支付？", "一楼文印室",
     "The print room now takes mobile payment.", "文印室已支持手机支付。"),
    ("service", "The library chat service closes at 5 pm, just when I start studying.", "",
     "Online reference chat now runs until 21:00 on weekdays.", "工作日在线咨询延长至 21:00。"),
    ("service", "续借的时候系统总提示错误，只好跑到服务台。", "",
     "The renewal error was fixed; renewals work online again.", "续借故障已修复，可正常在线续借。"),
    ("collection", "希望购买更多考研参考书，现有的都被借走了。", "",
     "Forty new titles ordered; more copies of the most requested ones.", "已订购 40 种新书，热门书目增加了复本。"),
    ("collection", "Please subscribe to the IEEE Xplore full-text package; our lab needs it.", "",
     "IEEE Xplore full text is available on campus and through the VPN.", "已开通 IEEE Xplore 全文，校内及 VPN 均可访问。"),
    ("collection", "能否增加一些英文原版小说？想练习阅读。", "",
     "A graded English fiction shelf opened on floor 2.", "二楼新设英文原版分级读物书架。"),
    ("collection", "The newest edition of Campbell Biology is only on reserve for two hours.", "",
     "Three more copies were bought, one for week-long loan.", "增购三册，其中一册可借一周。"),
    ("collection", "古籍数据库只能在馆内访问，在宿舍查不了。", "",
     "The rare-books database now works off campus through the VPN.", "古籍数据库现在可通过 VPN 在校外访问。"),
    ("collection", "Many of the graphic novels on the 3rd floor are missing pages.", "3F leisure reading",
     "Damaged graphic novels were repaired or replaced.", "破损的图像小说已修补或替换。"),
    ("suggestion", "可以办一次古籍修复体验活动吗？", "",
     "A monthly repair workshop now runs in the special collections room.", "特藏室现每月举办一次古籍修复体验活动。"),
    ("suggestion", "How about a shelf of books recommended by students, with short notes?", "1F lobby",
     "A \"students recommend\" shelf now stands in the lobby, with readers' notes.",
     "大厅设立了“同学推荐”书架，附读者手写推荐语。"),
    ("suggestion", "希望图书馆开一个可以小声讨论的区域。", "",
     "The atrium is now a talk-allowed zone with six group tables.", "中庭改为可交谈区，设六张小组讨论桌。"),
    ("suggestion", "A water-bottle filling station would save a lot of plastic.", "",
     "Filling stations were fitted on floors 1 and 3.", "一楼和三楼安装了直饮水灌装点。"),
    ("suggestion", "读书月能不能办一次以物换书的活动？", "",
     "A book swap ran during reading month; over 600 books found new readers.", "读书月举办了以书换书活动，600 多本书找到了新读者。"),
    ("suggestion", "Could the lobby screen show how many seats are free on each floor?", "1F lobby",
     "The lobby screen now shows free seats per floor.", "大厅屏幕现在显示各楼层空余座位数。"),
    ("suggestion", "建议在期末前开放通宵自习室。", "",
     "A 24-hour study room opens for the last two weeks of term.", "期末前两周开放 24 小时自习室。"),
    ("praise", "咨询台的王老师非常耐心，帮我找到了论文需要的所有资料，谢谢！", "一楼咨询台",
     "Your thanks were passed on to the reference team.", "你的感谢已转达咨询台团队。"),
    ("praise", "The new quiet pods on floor 5 are brilliant. Thank you!", "5F",
     "More pods are planned for floor 4 next term.", "下学期计划在四楼增加更多静音舱。"),
    ("praise", "夜班的保安大哥每天提醒我们带好随身物品，很暖心。", "",
     "Your note was shared with the night team.", "你的留言已转达夜班团队。"),
    ("praise", "Thanks for the exam-week tea and biscuits, it made a long night easier.", "",
     "Exam-week tea will be back next term.", "下学期考试周的茶点会继续提供。"),
    ("praise", "特藏部的讲座很精彩，希望以后多办一些。", "",
     "A lecture series on the special collections runs each month.", "特藏系列讲座将每月举办一次。"),
)

# What a librarian writes back, in the reader's own language.
NOTES = {
    "triaged": {"en": ("Thank you, we are looking into it.", "Thanks for telling us; it has gone to the right team.",
                       "Thank you. We will check this today."),
                "zh": ("感谢反馈，我们正在处理。", "谢谢你的反馈，已转交相关部门。", "收到，我们今天会去查看。")},
    "responded": {"en": ("Done; please tell us if it works for you.", "This is sorted now. Let us know if not.",
                         "We have made the change; thank you for the idea."),
                  "zh": ("已处理，请告诉我们效果。", "问题已解决，如有需要请再联系我们。", "已按你的建议调整，谢谢！")},
    "reopened": {"en": ("Still happening, I am afraid.",), "zh": ("问题依然存在。",)},
    "again": {"en": ("We checked again and fixed it properly this time.",), "zh": ("再次检查并已彻底修复。",)},
}


def language(text: str) -> str:
    """"zh" when the text is written in Chinese, else "en"."""
    return "zh" if service.written_in(text) == "zh_Hans" else "en"


def populate(session, rng, students, librarians) -> None:
    """Add demo feedback written by ``students`` and handled by ``librarians``."""
    if not students or not librarians:
        return
    service.ensure_categories(session)
    for en, zh in DEPARTMENTS:
        session.add(FeedbackDepartment(name_en=en, name_zh=zh))
    session.flush()
    departments = service.departments(session)
    categories = service.categories(session)
    now = utcnow()
    by_key = {category.key: category for category in categories}
    # Each sample once, in a seeded order, at a seeded time across the past eight weeks.
    for n, (key, text, location, did_en, did_zh) in enumerate(rng.sample(SAMPLES, len(SAMPLES))):
        category = by_key.get(key, categories[0])
        author = students[rng.randrange(len(students))]
        at = now - timedelta(days=rng.uniform(0.2, 56))
        item = service.submit(session, user=author, category_id=category.id, text=text,
                              location=location, show_name=rng.random() < 0.6,
                              allow_publish=rng.random() < 0.8, now=at)
        _walk(session, rng, item, librarians, departments, at, now)
        if item.state == workflow.CONFIRMED and item.allow_publish and rng.random() < 0.95:
            service.publish(session, item=item, we_did_en=did_en, we_did_zh=did_zh, published=True)
        if item.state == workflow.CONFIRMED and n % 9 == 0:
            service.link_inspiration(session, item=item, actor=librarians[0],
                                     description=f"短视频故事：{did_zh}" if language(text) == "zh"
                                     else f"Short video story: {did_en}")
        if item.state in workflow.OPEN and item.allow_publish:
            for other in rng.sample(students, min(len(students), rng.randrange(0, 4))):
                if other.id != item.submitter_id:
                    session.add(FeedbackMeToo(item_id=item.id, user_id=other.id, created_at=at))
    session.flush()


def _walk(session, rng, item, librarians, departments, at, now) -> None:
    """Take the item through the loop with realistic gaps, stopping when the next step would be
    in the future (so recent items stay open and some become overdue). Notes are written in the
    reader's language."""
    librarian = librarians[rng.randrange(len(librarians))]
    lang = language(item.text)

    def say(step):
        return rng.choice(NOTES[step][lang])

    steps = [(workflow.TRIAGED, rng.uniform(0.5, 30), {}, say("triaged")),
             (workflow.ASSIGNED, rng.uniform(1, 24), {"assignee": librarian} if rng.random() < 0.6 else
              {"department_id": departments[rng.randrange(len(departments))].id}, ""),
             (workflow.RESPONDED, rng.uniform(4, 150), {},
              say("responded"))]
    for to_state, gap, extra, note in steps:
        at += timedelta(hours=gap)
        if at > now or rng.random() < 0.06:
            return
        workflow.transition(session, item, librarian, to_state, note, True, now=at, **extra)
    at += timedelta(hours=rng.uniform(2, 96))
    if at > now:
        return
    roll = rng.random()
    if roll < 0.12:
        workflow.transition(session, item, _author(session, item), workflow.REOPENED,
                            say("reopened"), True, now=at)
        at += timedelta(hours=rng.uniform(4, 72))
        if at < now:
            workflow.transition(session, item, librarian, workflow.RESPONDED,
                                say("again"), True, now=at)
    elif roll < 0.8:
        score = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 12, 8, 5])[0]
        workflow.transition(session, item, _author(session, item), workflow.CONFIRMED, "", True, score=score, now=at)


def _author(session, item):
    from core.models import User

    return session.get(User, item.submitter_id)
