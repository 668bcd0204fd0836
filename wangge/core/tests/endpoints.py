"""The object-factory table behind the role-matrix and query-count tests.

Every GET endpoint of ``/api/v1/openapi.json`` (and every page URL with a path parameter) must appear here:
endpoints with a path id in ``DETAIL`` (a factory that makes one record in a given area and returns the
path parameters), list endpoints in ``LISTS`` (a factory for a row and how to read the row ids out of the
answer) or, for lists that hold no area-bound rows, in ``LISTS`` with the reason as a string. A new endpoint
that is in none of them fails ``test_every_endpoint_has_an_entry``: the next endpoint cannot be forgotten.

Factories build through the apps' own services and test factories, so they follow the apps as they change.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from wangge.accounts.models import Unit, User
from wangge.accounts.roles import Role
from wangge.areas.models import Area
from wangge.testing import Tree, make_outside_areas, make_user

_seq = itertools.count(1)
ROLES = [
    "admin",
    "district",
    "street",
    "community_staff",
    "grid_worker",
    "department_staff",
    "property_staff",
    "resident",
    "volunteer",
]
AREA_ROLES = ["district", "street", "community_staff", "grid_worker"]
MISSING_INT = 987_654_321


@dataclass
class World:
    tree: Tree
    other_street_grid: Area  # 320621002001001: same district, another street
    other_district_grid: Area  # 320622001001001: another district
    admin: User
    users: dict[str, User]
    _staff: dict[str, User] = field(default_factory=dict)
    _made: dict[tuple[str, str], Any] = field(default_factory=dict)

    def staff_of(self, area: Area) -> User:
        """A community worker holding a post on ``area`` (creates the records there)."""
        if area.code not in self._staff:
            self._staff[area.code] = make_user(Role.COMMUNITY_STAFF, area)
        return self._staff[area.code]

    def once(self, key: str, area: Area, make: Callable[[], Any]) -> Any:
        """One record per kind and area (several endpoints read the same record)."""
        if (key, area.code) not in self._made:
            self._made[(key, area.code)] = make()
        return self._made[(key, area.code)]

    def out_area(self, role: str) -> Area:
        """A grid outside ``role``'s reach (for the admin: one they see anyway, the positive control)."""
        return {
            "district": self.other_district_grid,
            "street": self.other_street_grid,
            "community_staff": self.tree.grid_c,
            "grid_worker": self.tree.grid_b,
        }.get(role, self.tree.grid_c)

    @property
    def in_area(self) -> Area:
        """A grid inside every area role's reach (and the home of the resident and the volunteer)."""
        return self.tree.grid_a


def make_world(tree: Tree) -> World:
    """The role matrix: one user per role; the resident and the volunteer live in grid_a."""
    from wangge.registry.tests.factories import make_resident

    other_street_grid, other_district_grid = make_outside_areas()
    admin = make_user(Role.ADMIN)
    department = Unit.objects.create(name="城市管理局", kind=Unit.Kind.DEPARTMENT, area=tree.district)
    property_co = Unit.objects.create(name="安居物业", kind=Unit.Kind.PROPERTY_COMPANY, area=tree.community)
    users = {
        "admin": admin,
        "district": make_user(Role.DISTRICT, tree.district),
        "street": make_user(Role.STREET_STAFF, tree.street),
        "community_staff": make_user(Role.COMMUNITY_STAFF, tree.community),
        "grid_worker": make_user(Role.GRID_WORKER, tree.grid_a),
        "department_staff": make_user(Role.DEPARTMENT_STAFF, unit=department),
        "property_staff": make_user(Role.PROPERTY_STAFF, unit=property_co),
        "resident": make_user(Role.RESIDENT),
        "volunteer": make_user(Role.VOLUNTEER),
    }
    for role in ("resident", "volunteer"):
        r = make_resident(tree.grid_a, admin)
        r.account = users[role]
        r.save(update_fields=["account"])
    return World(tree, other_street_grid, other_district_grid, admin, users)


# --- factories: (world, area) → path parameters ---------------------------------------------------------


def _resident(w: World, area: Area) -> Any:
    from wangge.registry.tests.factories import make_resident

    return w.once("resident", area, lambda: make_resident(area, w.admin))


def _annotated_token(w: World, area: Area) -> str:
    """A failed import's annotated copy belongs to its uploader (the admin here): nobody else's."""
    from wangge.registry import excel

    def make() -> str:
        data = ("\ufeff" + ",".join(c.header for c in excel.COLUMNS) + "\n" + area.code + ",x\n").encode()
        result = excel.import_registry(data, "x.csv", by=w.admin)
        assert result.annotated
        return result.annotated

    return w.once("annotated", area, make)


def _appeal(w: World, area: Area) -> Any:
    from wangge.appeals import services
    from wangge.appeals.tests.conftest import ensure_categories

    def make() -> Any:
        ensure_categories()
        reporter = make_user(Role.RESIDENT)
        appeal, _ = services.appeal_submit(
            by=reporter,
            category="SQ0101",
            description="楼道灯不亮",
            channel="resident_web",
            lat=area.center_lat,
            lng=area.center_lng,
        )
        assert appeal.area_code == area.code, (appeal.area_code, area.code)
        return appeal

    return w.once("appeal", area, make)


def _attachment(w: World, area: Area) -> dict[str, Any]:
    from wangge.appeals import services
    from wangge.wishes.tests.factories import png_bytes

    appeal = _appeal(w, area)
    att = w.once(
        "attachment",
        area,
        lambda: services.attachment_add(
            appeal_id=appeal.pk, by=appeal.reporter, content=png_bytes(), filename="a.png"
        ),
    )
    return {"appeal_id": appeal.pk, "attachment_id": att.pk}


def _activity(w: World, area: Area) -> Any:
    """A task for the area's own community (public tasks are open to everyone by design)."""
    from wangge.volunteers.models import Activity
    from wangge.volunteers.tests.helpers import make_activity

    return w.once(
        "activity",
        area,
        lambda: make_activity(area, by=w.staff_of(area), visibility=Activity.Visibility.COMMUNITY),
    )


def _reward(w: World, area: Area) -> Any:
    """A reward taken off the catalogue (active rewards are a public catalogue by design)."""
    from wangge.points import services
    from wangge.points.models import Reward

    def make() -> Any:
        reward = services.reward_create(name="毛巾", price=20, stock=2, area=area, by=w.staff_of(area))
        Reward.objects.filter(pk=reward.pk).update(active=False)
        return reward

    return w.once("reward", area, make)


def _wish(w: World, area: Area) -> Any:
    """A wish waiting for review (the public wall shows reviewed wishes by design)."""
    from wangge.wishes import services
    from wangge.wishes.tests.factories import make_resident

    return w.once(
        "wish",
        area,
        lambda: services.wish_create(
            by=w.staff_of(area),
            beneficiary=make_resident(area, name="宋明华"),
            title="一台收音机",
            reason="独居在家，想听戏曲",
            estimated_value=120,
        ),
    )


def _pairing(w: World, area: Area) -> Any:
    from wangge.pairing import services
    from wangge.wishes.tests.factories import make_resident

    def make() -> Any:
        return services.pairing_create(
            resident=make_resident(area, name="周桂英", tags=("elderly_alone",)),
            volunteer=make_user(Role.VOLUNTEER),
            care_kind="elderly_alone",
            by=w.staff_of(area),
            starts_on=timezone.localdate() - dt.timedelta(days=3),
        )

    return w.once("pairing", area, make)


def _notification(w: World, area: Area) -> Any:
    """Somebody else's notification (notifications are per user)."""
    from wangge.notifications.models import Notification
    from wangge.notifications.services import notify

    def make() -> Any:
        other = w.staff_of(area)
        notify(users=[other], event="test", title="别人的通知", channels=("inapp",))
        return Notification.objects.filter(user=other).latest("id")

    return w.once("notification", area, make)


def _point_entry(w: World, area: Area) -> Any:
    """Somebody else's points entry (the ledger is per user)."""
    from wangge.points import services

    def make() -> Any:
        entry = services.points_earn(
            user=make_user(Role.VOLUNTEER), rule_code="volunteer_hour", source_key=f"scope:{next(_seq)}"
        )
        assert entry is not None
        return entry

    return w.once("point_entry", area, make)


def _resident_user(w: World, area: Area, name: str) -> User:
    """An account with the resident role and a registry record in ``area`` (its own building)."""
    from wangge.registry.models import Resident
    from wangge.registry.tests.factories import make_resident

    user = make_user(Role.RESIDENT, display_name=name)
    resident = make_resident(area, w.admin, name=name)
    Resident.objects.filter(pk=resident.pk).update(account=user)
    return user


def _contact_view(w: World, area: Area) -> Any:
    """A staff member's look at a wish beneficiary's contact (an audit row of the wish)."""
    from wangge.core.models import AuditLog
    from wangge.wishes import selectors

    def make() -> Any:
        wish = _wish(w, area)
        assert selectors.wish_contact(viewer=w.staff_of(area), wish=wish) is not None
        return AuditLog.objects.filter(action="reveal", object_id=str(wish.pk)).latest("id").pk

    return w.once("contact_view", area, make)


def _council(w: World, area: Area) -> Any:
    """A grid council (党群议事会) with no members (residents of the grid see it, nobody else)."""
    from wangge.deliberation import services

    return w.once(
        "council",
        area,
        lambda: services.council_create(
            name="网格议事会", area=area, proposal_threshold=3, by=w.staff_of(area)
        ),
    )


def _meeting(w: World, area: Area) -> Any:
    from wangge.deliberation import services

    return w.once(
        "meeting",
        area,
        lambda: services.meeting_create(
            council=_council(w, area),
            title="楼道堆物议事",
            starts_at=timezone.now() + dt.timedelta(days=2),
            place="社区活动室",
            by=w.staff_of(area),
        ),
    )


def _proposal(w: World, area: Area) -> Any:
    """A proposal by a resident of the grid (to the grid council)."""
    from wangge.deliberation import services

    def make() -> Any:
        _council(w, area)
        author = _resident_user(w, area, "钱立新")
        return services.proposal_create(
            by=author, title="加装晾衣架", body="楼前空地想加装公共晾衣架，方便老人晒被子", scope="grid"
        )

    return w.once("proposal", area, make)


def _convention(w: World, area: Area) -> Any:
    from wangge.deliberation import services

    return w.once(
        "convention",
        area,
        lambda: services.convention_create(
            council=_council(w, area), title="文明养犬公约", text="出门牵绳，及时清理。", by=w.staff_of(area)
        ),
    )


def _dispute(w: World, area: Area) -> Any:
    from wangge.deliberation import services

    return w.once(
        "dispute",
        area,
        lambda: services.dispute_open(
            area=area,
            kind="neighbour",
            matter="楼上漏水",
            parties=[{"name": "甲", "side": "applicant"}, {"name": "乙", "side": "respondent"}],
            by=w.staff_of(area),
        ),
    )


def _vote(w: World, area: Area) -> Any:
    """An open vote of the grid's owners (one registered house), so its live count can be exported."""
    from wangge.registry import services as registry
    from wangge.voting import services
    from wangge.voting.models import RuleSet

    def make() -> Any:
        staff = w.staff_of(area)
        building = registry.building_create(
            area=area, name="7号楼", address=f"东园小区{next(_seq)}号楼", by=staff
        )
        house = registry.house_create(building=building, room="101", exclusive_area=100, by=staff)
        registry.owner_create(house=house, name="业主甲", by=staff)
        now = timezone.now()
        vote = services.vote_create(
            title="续聘物业",
            matter="other",
            area=area,
            rule_set=RuleSet.objects.get(name="民法典（全国通用）"),
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=7),
            by=staff,
        )
        return services.vote_open(vote=vote, by=staff)

    return w.once("vote", area, make)


def _survey(w: World, area: Area) -> Any:
    from wangge.voting import services

    now = timezone.now()
    return w.once(
        "survey",
        area,
        lambda: services.survey_create(
            title="凉亭选址",
            area=area,
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=7),
            questions=[{"kind": "single", "text": "凉亭建在哪里？", "options": ["东侧草坪", "北门广场"]}],
            by=w.staff_of(area),
        ),
    )


def _evaluation(w: World, area: Area) -> Any:
    """A resident's quarterly evaluation of the property company serving their building in ``area``."""
    from wangge.appeals.models import Category
    from wangge.property import services
    from wangge.registry.models import Resident

    def make() -> Any:
        company = Unit.objects.create(name=f"物业{next(_seq)}", kind=Unit.Kind.PROPERTY_COMPANY)
        user = _resident_user(w, area, "孙桂兰")
        building = Resident.objects.get(account=user).household.house.building
        building.property_company = company
        building.save(update_fields=["property_company"])
        services.commitment_create(
            company=company,
            group="维修服务",
            text="道路廊灯损坏8小时内更换",
            categories=[Category.objects.get(name="小区路灯")],
            time_limit_hours=8,
            by=w.staff_of(Area.objects.get(code=area.code[:12])),  # the community's staff publish
        )
        return services.evaluation_submit(
            company=company, scores={"维修服务": 4}, comment="路灯修得快", by=user
        )

    return w.once("evaluation", area, make)


def _job(w: World, area: Area) -> Any:
    """Somebody else's background job (jobs are per user: its starter and administrators see it)."""
    from wangge.core.models import Job

    def make() -> Any:
        # Only administrators (config.write) start jobs; another admin started this one.
        return Job.objects.create(kind="rollup_rebuild", created_by=make_user(Role.ADMIN))

    return w.once("job", area, make)


def _export_job(w: World, area: Area) -> Any:
    """A finished export job with its file, started by the administrator of the matrix: only its starter
    downloads it (every other role gets 404, like a missing job; ``core.jobs_files``)."""
    from wangge.core import jobs_files
    from wangge.core.models import Job

    def make() -> Any:
        job = Job.objects.create(kind="appeals_export", created_by=w.admin, state=Job.State.DONE)
        path = jobs_files.new_path(job.pk, "csv")
        path.write_bytes("\ufeff编号\r\n".encode())
        job.result = jobs_files.stored(job.pk, path, filename="诉求导出.csv", content_type="text/csv", rows=0)
        job.finished_at = timezone.now()
        job.save(update_fields=["result", "finished_at"])
        return job

    return w.once("export_job", area, make)


def _visit(w: World, area: Area) -> Any:
    """A household visit recorded by the area's staff."""
    from wangge.visits import services
    from wangge.visits.tests.factories import make_household

    def make() -> Any:
        visit, created = services.visit_record(
            by=w.staff_of(area),
            household=make_household(area),
            client_id=f"scope-{next(_seq)}",
        )
        assert created
        return visit

    return w.once("visit", area, make)


def _scheduled_visit(w: World, area: Area) -> Any:
    """A household's ready visit, due today (a household of its own: a visit would close the period)."""
    from wangge.visits import services
    from wangge.visits.tests.factories import make_household

    def make() -> Any:
        ready = services.visit_schedule_refresh(make_household(area))
        assert ready is not None and ready.due_on <= timezone.localdate(), ready
        return ready

    return w.once("scheduled_visit", area, make)


def _place(w: World, area: Area) -> Any:
    """An active service place serving the area."""
    from wangge.places.models import Place

    def make() -> Any:
        return Place.objects.create(name=f"驿站{next(_seq)}", kind="post", area=area, lat=32.5, lng=120.4)

    return w.once("place", area, make)


def _cadre(w: World, area: Area) -> Any:
    """A cadre dispatched to the area (包联网格) around today, by the area's staff."""
    from wangge.attendance import services

    def make() -> Any:
        today = timezone.localdate()
        cadre = make_user(Role.DEPARTMENT_STAFF, display_name="驻村干部")
        return services.assignment_create(
            by=w.staff_of(area), user=cadre, area=area, role="dispatched",
            starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=30),
        )  # fmt: skip

    return w.once("cadre", area, make)


def _project(w: World, area: Area) -> Any:
    """An approved project of the area (approved so the public list shows it too)."""
    from wangge.projects.models import Project

    def make() -> Any:
        return Project.objects.create(
            area=area, title="楼道照明", kind="livelihood", owner=w.admin, state="approved"
        )

    return w.once("project", area, make)


def _registry_change(w: World, area: Area) -> Any:
    """A correction (a phone change) made by the area's staff to a resident there."""
    from wangge.registry.change_services import change_submit

    def make() -> Any:
        r = _resident(w, area)
        change, created = change_submit(
            by=w.staff_of(area),
            client_id=f"scope-{next(_seq)}",
            target="resident",
            target_id=r.pk,
            kind="phone",
            base_version=r.version,
            data={"phone": "13800001111"},
        )
        assert created
        return change

    return w.once("registry_change", area, make)


def _patrol(w: World, area: Area) -> Any:
    """A patrol of the area's grid by a grid worker there, with one track point."""
    from wangge.patrols import services

    def make() -> Any:
        worker = make_user(Role.GRID_WORKER, area)
        patrol, created = services.patrol_start(by=worker, client_id=f"scope-{next(_seq)}", area=area)
        assert created
        services.patrol_points_add(
            by=worker,
            patrol=patrol,
            points=[
                {
                    "recorded_at": patrol.started_at,
                    "lat": area.center_lat,
                    "lng": area.center_lng,
                    "accuracy_m": 5,
                }
            ],
        )
        return patrol

    return w.once("patrol", area, make)


def _party_org(w: World, area: Area) -> Any:
    """A grid party branch in ``area`` with one resident party member (the secretary)."""
    from wangge.areas.models import PartyOrg
    from wangge.party import services
    from wangge.registry.tests.factories import make_resident

    def make() -> Any:
        org = PartyOrg.objects.create(kind=PartyOrg.Kind.GRID_BRANCH, name=f"{area.name}党支部", area=area)
        resident = make_resident(area, w.admin, political_status="party_member")
        services.membership_add(org=org, resident=resident, role="secretary", by=w.staff_of(area))
        return org

    return w.once("party_org", area, make)


def _party_alliance(w: World, area: Area) -> Any:
    """A 党建联盟 of two party organisations in ``area``."""
    from wangge.areas.models import PartyOrg
    from wangge.party import services

    def make() -> Any:
        other = PartyOrg.objects.create(
            kind=PartyOrg.Kind.BUILDING_GROUP, name=f"{area.name}楼栋党小组", area=area
        )
        return services.alliance_create(
            area=area,
            name=f"{area.name}党建联盟{next(_seq)}",
            orgs=[_party_org(w, area), other],
            by=w.staff_of(area),
        )

    return w.once("party_alliance", area, make)


def _assessment_scheme(w: World, area: Area) -> Any:
    """An active grid scheme of ``area`` (one item: 走访完成率, 100 分)."""
    from wangge.assessment import services

    def make() -> Any:
        staff = w.staff_of(area)
        scheme = services.scheme_create(
            name=f"考评{next(_seq)}",
            area=area,
            subject_kind="grid",
            period="monthly",
            items=[{"figure": "visits.completion", "weight": 100}],
            by=staff,
        )
        return services.scheme_activate(scheme=scheme, by=staff)

    return w.once("assessment_scheme", area, make)


def _assessment_score(w: World, area: Area) -> Any:
    """The October 2025 score of the grid ``area`` under its scheme."""
    from wangge.assessment import services

    def make() -> Any:
        run = services.score_compute(scheme=_assessment_scheme(w, area), period_start=dt.date(2025, 10, 1))
        return run.scores.get(area_code=area.code[:15])

    return w.once("assessment_score", area, make)


def _assessment_post(w: World, area: Area) -> Any:
    """A grid worker's post in ``area`` (the 三岗十八级 list shows one row per post)."""
    from wangge.accounts.models import Post

    def make() -> Any:
        return Post.objects.get(user=make_user(Role.GRID_WORKER, area), area=area)

    return w.once("assessment_post", area, make)


def _post_ids(resp: Any) -> set[Any]:
    return {row["post_id"] for row in resp.json()}


Factory = Callable[[World, Area], dict[str, Any]]

DETAIL: dict[str, Factory] = {
    "/api/v1/areas/{code}": lambda w, a: {"code": a.code},
    "/api/v1/areas/{code}/geojson": lambda w, a: {"code": a.code},
    "/api/v1/areas/{code}/basemap": lambda w, a: {"code": a.code},
    "/api/v1/buildings/{pk}": lambda w, a: {"pk": _resident(w, a).household.house.building_id},
    "/api/v1/houses/{pk}": lambda w, a: {"pk": _resident(w, a).household.house_id},
    "/api/v1/households/{pk}": lambda w, a: {"pk": _resident(w, a).household_id},
    "/api/v1/residents/{pk}": lambda w, a: {"pk": _resident(w, a).pk},
    "/api/v1/residents/import/annotated/{token}": lambda w, a: {"token": _annotated_token(w, a)},
    "/api/v1/appeals/{appeal_id}": lambda w, a: {"appeal_id": _appeal(w, a).pk},
    "/api/v1/appeals/{appeal_id}/duplicates": lambda w, a: {"appeal_id": _appeal(w, a).pk},
    "/api/v1/appeals/{appeal_id}/attachments/{attachment_id}": _attachment,
    "/api/v1/activities/{activity_id}": lambda w, a: {"activity_id": _activity(w, a).pk},
    "/api/v1/activities/{activity_id}/signups": lambda w, a: {"activity_id": _activity(w, a).pk},
    "/api/v1/activities/{activity_id}/ratings": lambda w, a: {"activity_id": _activity(w, a).pk},
    "/api/v1/rewards/{reward_id}": lambda w, a: {"reward_id": _reward(w, a).pk},
    "/api/v1/wishes/{wish_id}": lambda w, a: {"wish_id": _wish(w, a).pk},
    "/api/v1/pairings/residents/{resident_id}/history": lambda w, a: {"resident_id": _resident(w, a).pk},
    "/api/v1/pairings/{pairing_id}": lambda w, a: {"pairing_id": _pairing(w, a).pk},
    "/api/v1/pairings/{pairing_id}/visits": lambda w, a: {"pairing_id": _pairing(w, a).pk},
    "/api/v1/pairings/{pairing_id}/handovers": lambda w, a: {"pairing_id": _pairing(w, a).pk},
    "/api/v1/councils/{council_id}": lambda w, a: {"council_id": _council(w, a).pk},
    "/api/v1/meetings/{meeting_id}": lambda w, a: {"meeting_id": _meeting(w, a).pk},
    "/api/v1/proposals/{proposal_id}": lambda w, a: {"proposal_id": _proposal(w, a).pk},
    "/api/v1/conventions/{convention_id}": lambda w, a: {"convention_id": _convention(w, a).pk},
    "/api/v1/mediations/{dispute_id}": lambda w, a: {"dispute_id": _dispute(w, a).pk},
    "/api/v1/votes/{pk}": lambda w, a: {"pk": _vote(w, a).pk},
    "/api/v1/votes/{pk}/ballots": lambda w, a: {"pk": _vote(w, a).pk},
    "/api/v1/votes/{pk}/voters": lambda w, a: {"pk": _vote(w, a).pk},
    "/api/v1/votes/{pk}/export.xlsx": lambda w, a: {"pk": _vote(w, a).pk},
    "/api/v1/surveys/{pk}": lambda w, a: {"pk": _survey(w, a).pk},
    "/api/v1/surveys/{pk}/results": lambda w, a: {"pk": _survey(w, a).pk},
    "/api/v1/surveys/{pk}/export.xlsx": lambda w, a: {"pk": _survey(w, a).pk},
    "/api/v1/commitments/board/{code}": lambda w, a: {"code": a.code[:12]},
    "/api/v1/jobs/{job_id}": lambda w, a: {"job_id": _job(w, a).pk},
    "/api/v1/jobs/{job_id}/download": lambda w, a: {"job_id": _export_job(w, a).pk},
    "/api/v1/visits/{pk}": lambda w, a: {"pk": _visit(w, a).pk},
    "/api/v1/places/{pk}": lambda w, a: {"pk": _place(w, a).pk},
    "/api/v1/places/{pk}/duties": lambda w, a: {"pk": _place(w, a).pk},
    "/api/v1/attendance/{assignment_id}": lambda w, a: {"assignment_id": _cadre(w, a).pk},
    "/api/v1/projects/{pk}": lambda w, a: {"pk": _project(w, a).pk},
    "/api/v1/projects/public/{code}": lambda w, a: {"code": a.code[:12]},
    "/api/v1/registry/changes/{pk}": lambda w, a: {"pk": _registry_change(w, a).pk},
    "/api/v1/patrols/{ref}": lambda w, a: {"ref": _patrol(w, a).pk},
    "/api/v1/patrols/{ref}/points": lambda w, a: {"ref": _patrol(w, a).pk},
    "/api/v1/map/cases/{pk}": lambda w, a: {"pk": _appeal(w, a).pk},
    "/api/v1/map/grids/{code}/other-grids": lambda w, a: {"code": a.code},
    "/api/v1/party/orgs/{org_id}": lambda w, a: {"org_id": _party_org(w, a).pk},
    "/api/v1/party/orgs/{org_id}/members": lambda w, a: {"org_id": _party_org(w, a).pk},
    "/api/v1/party/alliances/{alliance_id}": lambda w, a: {"alliance_id": _party_alliance(w, a).pk},
    "/api/v1/assessment/schemes/{scheme_id}": lambda w, a: {"scheme_id": _assessment_scheme(w, a).pk},
    "/api/v1/assessment/scores/{score_id}": lambda w, a: {"score_id": _assessment_score(w, a).pk},
    "/api/v1/assessment/scores/{score_id}/items/{item_id}/evidence": lambda w, a: {
        "score_id": _assessment_score(w, a).pk,
        "item_id": _assessment_score(w, a).items.first().pk,
    },
}

# Endpoints a role may not use at all: it answers 403 for every id, found or not (so nothing is probed).
# Every other role answers 404 for an out-of-scope id.
_NO_MOBILISATION = {"department_staff", "property_staff", "resident", "volunteer"}
_NO_REGISTRY = {"department_staff", "property_staff", "resident", "volunteer"}  # no registry.read
ROLE_FORBIDDEN: dict[str, set[str]] = {
    "/api/v1/pairings/residents/{resident_id}/history": _NO_MOBILISATION,
    "/api/v1/visits/{pk}": _NO_REGISTRY,
    "/api/v1/registry/changes/{pk}": _NO_REGISTRY,
    "/api/v1/patrols/{ref}": _NO_REGISTRY,
    "/api/v1/patrols/{ref}/points": _NO_REGISTRY,
    "areas:detail": _NO_MOBILISATION,
    "/api/v1/party/orgs/{org_id}": _NO_MOBILISATION,
    "/api/v1/party/orgs/{org_id}/members": _NO_MOBILISATION,
    "/api/v1/party/alliances/{alliance_id}": _NO_MOBILISATION,
    "party:org": _NO_MOBILISATION,
    "party:alliance": _NO_MOBILISATION,
    # assessment.read: staff roles only.
    "/api/v1/assessment/schemes/{scheme_id}": _NO_REGISTRY,
    "/api/v1/assessment/scores/{score_id}": _NO_REGISTRY,
    "/api/v1/assessment/scores/{score_id}/items/{item_id}/evidence": _NO_REGISTRY,
    "assessment:scheme": _NO_REGISTRY,
    "assessment:ranking": _NO_REGISTRY,
    "assessment:score": _NO_REGISTRY,
    "assessment:evidence": _NO_REGISTRY,
}

# Records only their owner (not any area role) reaches: no in-scope positive check for area staff.
OWNER_ONLY = {
    "/api/v1/residents/import/annotated/{token}",
    "registry:import_annotated",
    "/api/v1/jobs/{job_id}",
    "core:job",
    "/api/v1/jobs/{job_id}/download",
    "core:job_download",
}

# Records public by design (no login, no personal data): every role, out of its area or not, gets them
# (200) and a missing one is 404. The reason is the entry.
PUBLIC: dict[str, str] = {
    "/api/v1/commitments/board/{code}": "a community's public 红色物业 board (no names; property tests)",
    "property:board": "a community's public 红色物业 board (no names; property tests)",
    "/api/v1/places/{pk}": "an active service place: address and hours are public information (places tests)",
    "places:detail": "an active service place: address and hours are public information (places tests)",
    "/api/v1/places/{pk}/duties": "an active place's duty roster: names and shifts only, no phones (places tests)",
    "/api/v1/projects/public/{code}": "a community's public project list (approved and later, names masked)",
    "projects:public": "a community's public project list (approved and later, names masked)",
}


def missing_params(params: dict[str, Any]) -> dict[str, Any]:
    """The same parameters pointing at nothing."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, int):
            out[key] = MISSING_INT
        elif key == "code":
            out[key] = "9" * len(str(value))
        else:
            out[key] = "no-such-" + "x" * 16
    return out


# --- lists ----------------------------------------------------------------------------------------------


def _items(body: Any) -> list[Any]:
    if isinstance(body, dict) and "items" in body:
        return list(body["items"])
    return list(body) if isinstance(body, list) else []


def _ids(resp: Any) -> set[Any]:
    return {item.get("id") for item in _items(resp.json()) if isinstance(item, dict)}


def _codes(resp: Any) -> set[Any]:
    out: set[Any] = set()
    stack = list(resp.json())
    while stack:
        node = stack.pop()
        out.add(node["code"])
        stack.extend(node.get("children", []))
    return out


def _export_names(resp: Any) -> set[Any]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(resp.content), read_only=True).worksheets[0]
    return {row[6] for row in ws.iter_rows(min_row=2, values_only=True)}


@dataclass
class ListCase:
    """``make`` returns the value that identifies the row in the answer read by ``read``."""

    make: Callable[[World, Area], Any]
    read: Callable[[Any], set[Any]] = _ids
    query: str = ""
    # Roles for which the row made in their *own* area must be listed (the positive check).
    sees_own_area: tuple[str, ...] = tuple(AREA_ROLES)


LISTS: dict[str, ListCase | str] = {
    "/api/v1/areas": ListCase(lambda w, a: a.code, read=_codes),
    "/api/v1/buildings": ListCase(lambda w, a: _resident(w, a).household.house.building_id),
    "/api/v1/houses": ListCase(lambda w, a: _resident(w, a).household.house_id),
    "/api/v1/households": ListCase(lambda w, a: _resident(w, a).household_id),
    "/api/v1/residents": ListCase(lambda w, a: _resident(w, a).pk),
    "/api/v1/residents/export": ListCase(lambda w, a: _resident(w, a).name, read=_export_names),
    "/api/v1/appeals": ListCase(lambda w, a: _appeal(w, a).pk),
    "/api/v1/activities": ListCase(lambda w, a: _activity(w, a).pk),
    "/api/v1/rewards": ListCase(lambda w, a: _reward(w, a).pk, sees_own_area=()),
    "/api/v1/wishes": ListCase(lambda w, a: _wish(w, a).pk, query="?view=manage"),
    "/api/v1/pairings": ListCase(lambda w, a: _pairing(w, a).pk),
    "/api/v1/attendance": ListCase(lambda w, a: _cadre(w, a).pk),
    "/api/v1/notifications": ListCase(lambda w, a: _notification(w, a).pk, sees_own_area=()),
    "/api/v1/points/entries": ListCase(lambda w, a: _point_entry(w, a).pk, sees_own_area=()),
    "/api/v1/wishes/contact-views": ListCase(lambda w, a: _contact_view(w, a)),
    "/api/v1/councils": ListCase(lambda w, a: _council(w, a).pk),
    "/api/v1/meetings": ListCase(lambda w, a: _meeting(w, a).pk),
    "/api/v1/proposals": ListCase(lambda w, a: _proposal(w, a).pk),
    "/api/v1/conventions": ListCase(lambda w, a: _convention(w, a).pk),
    "/api/v1/mediations": ListCase(lambda w, a: _dispute(w, a).pk),
    "/api/v1/votes": ListCase(lambda w, a: _vote(w, a).pk),
    "/api/v1/surveys": ListCase(lambda w, a: _survey(w, a).pk),
    # Evaluations are filed per community: a grid worker (one grid) sees none.
    "/api/v1/commitments/evaluations": ListCase(
        lambda w, a: _evaluation(w, a).pk, sees_own_area=("district", "street", "community_staff")
    ),
    "/api/v1/visits": ListCase(lambda w, a: _visit(w, a).pk),
    "/api/v1/visits/due": ListCase(lambda w, a: _scheduled_visit(w, a).pk),
    "/api/v1/projects": ListCase(lambda w, a: _project(w, a).pk),
    "/api/v1/registry/changes": ListCase(lambda w, a: _registry_change(w, a).pk),
    "/api/v1/patrols": ListCase(lambda w, a: _patrol(w, a).pk),
    "/api/v1/party/orgs": ListCase(lambda w, a: _party_org(w, a).pk),
    "/api/v1/party/alliances": ListCase(lambda w, a: _party_alliance(w, a).pk),
    "/api/v1/command/screen": (
        "aggregate figures of one area the viewer reaches (district/street roles only, others 403; another area "
        "is 404): command/tests/test_screen.py"
    ),
    "/api/v1/assessment/schemes": ListCase(lambda w, a: _assessment_scheme(w, a).pk),
    "/api/v1/assessment/scores": ListCase(lambda w, a: _assessment_score(w, a).pk),
    "/api/v1/assessment/grades": ListCase(lambda w, a: _assessment_post(w, a).pk, read=_post_ids),
    # Not lists of area-bound rows (the reason is the entry):
    "/api/v1/places": "active service places are public information; inactive ones by scope (places tests)",
    "/api/v1/places/nearest": "the nearest active places to a point: public information (places tests)",
    "/api/v1/places/coverage": "aggregate figures of one area the viewer reaches; out of scope is 404 (places tests)",
    "/api/v1/auth/me": "the viewer's own account",
    "/api/v1/audit": "audit.read roles only (admin, district); the audit log is the district's record",
    "/api/v1/areas/locate": "routes a point to a grid; unscoped by design (reporting needs it anywhere)",
    "/api/v1/areas/basemap": "public geography around a point (outlines, names, roads; no registry rows): areas tests",
    "/api/v1/residents/import-template": "a blank template",
    "/api/v1/metrics/appeals": "aggregate figures; their scope is tested in appeals/tests/test_metrics.py",
    "/api/v1/metrics/appeals/trend": (
        "aggregate monthly figures of one area the viewer reaches (out of scope is 404); appeals/tests/test_figures.py"
    ),
    "/api/v1/metrics/appeals/breakdown": (
        "aggregate figures by category/channel/unit of one area the viewer reaches (out of scope is 404); "
        "appeals/tests/test_figures.py"
    ),
    "/api/v1/appeals/categories": "reference data (public)",
    "/api/v1/members": "mobilisation roster; scoped by volunteers.selectors.member_list (volunteers tests)",
    "/api/v1/members/me": "the viewer's own membership",
    "/api/v1/units": "the directory of units (organisations, no personal data)",
    "/api/v1/units/agreements": "unit agreements; scoped by volunteers.selectors.agreement_list",
    "/api/v1/service-posts": "open service posts are public by design",
    "/api/v1/micro-projects": "active micro-projects are public by design",
    "/api/v1/points/balance": "the viewer's own balance",
    "/api/v1/redemptions": "the viewer's own redemptions (mine=true by default)",
    "/api/v1/wishes/figures": "public aggregate figures",
    "/api/v1/wishes/seasons": "reference data (public)",
    "/api/v1/wishes/claims/mine": "the viewer's own claims",
    "/api/v1/wishes/lists": "the public three lists (需求/资源/项目)",
    "/api/v1/mediations/stats": "aggregate counts; scoped by deliberation.selectors.mediation_counts (tests)",
    "/api/v1/vote-rule-sets": "reference data (the voting thresholds of each city's rules)",
    "/api/v1/commitments": "property companies' commitments are published for everyone (auth=None)",
    "/api/v1/commitments/compliance": "public monthly compliance figures of one company (auth=None)",
    "/api/v1/pairings/missed": "missed-visit flags; scoped by pairing.selectors.missed_list (pairing tests)",
    "/api/v1/patrols/log": "one worker's day (the viewer's own by default; another's is 404 out of scope: patrols tests)",
    "/api/v1/metrics/patrols": (
        "aggregate figures of one area the viewer reaches (another area is 422); patrols/tests/test_log.py"
    ),
    "/api/v1/map/clusters": (
        "aggregate counts from the cell table through CaseCell.visible_to; command/tests/test_map_clusters.py"
    ),
    "/api/v1/map/areas": "aggregate figures of one area the viewer reaches (another area is 422; command tests)",
    "/api/v1/map/layers": "the catalogue of map layers (reference data, no rows of an area)",
    "/api/v1/map/layers/features": (
        "another network's grids (reference data); their links to our grids are cut to the viewer's scope"
    ),
    "/api/v1/map/layers/places": "service places: public information (inactive ones are not on the map)",
    "/api/v1/map/layers/volunteers": "tasks under way through Activity.visible_to, counts only (no names)",
    "/api/v1/assessment/figures": "the figures schemes may use (reference data, discovered per app)",
    "/api/v1/assessment/rankings": (
        "one run's ranking: the scores visible_to the viewer (ranks over the run); assessment/tests/test_schemes.py"
    ),
    "/api/v1/assessment/nominations": (
        "金牌网格员 nominations, scoped by community (visible_to); assessment/tests/test_api.py"
    ),
    "/api/v1/metrics/visits": (
        "aggregate figures of one area the viewer reaches (another area is 422, not rows to look for); "
        "their scope is tested in visits/tests/test_api.py"
    ),
}


# --- pages ----------------------------------------------------------------------------------------------

# URL name → (the API path whose factory makes the record, {URL kwarg: factory parameter}) or, for views
# that do not answer GET, "POST" (the test checks they answer 405), or a reason.
PAGES: dict[str, tuple[str, dict[str, str]] | str] = {
    "areas:detail": ("/api/v1/areas/{code}", {"code": "code"}),
    "registry:resident": ("/api/v1/residents/{pk}", {"pk": "pk"}),
    "registry:household": ("/api/v1/households/{pk}", {"pk": "pk"}),
    "registry:import_annotated": ("/api/v1/residents/import/annotated/{token}", {"token": "token"}),
    "appeals:detail": ("/api/v1/appeals/{appeal_id}", {"pk": "appeal_id"}),
    "volunteers:activity": ("/api/v1/activities/{activity_id}", {"pk": "activity_id"}),
    "volunteers:run": ("/api/v1/activities/{activity_id}", {"pk": "activity_id"}),
    "wishes:detail": ("/api/v1/wishes/{wish_id}", {"pk": "wish_id"}),
    "pairing:detail": ("/api/v1/pairings/{pairing_id}", {"pk": "pairing_id"}),
    "pairing:history": ("/api/v1/pairings/residents/{resident_id}/history", {"resident_id": "resident_id"}),
    "deliberation:proposal": ("/api/v1/proposals/{proposal_id}", {"pk": "proposal_id"}),
    "deliberation:convention": ("/api/v1/conventions/{convention_id}", {"pk": "convention_id"}),
    "deliberation:council": ("/api/v1/councils/{council_id}", {"pk": "council_id"}),
    "deliberation:meeting": ("/api/v1/meetings/{meeting_id}", {"pk": "meeting_id"}),
    "deliberation:sign_in": ("/api/v1/meetings/{meeting_id}", {"pk": "meeting_id"}),
    "deliberation:mediation": ("/api/v1/mediations/{dispute_id}", {"pk": "dispute_id"}),
    "voting:vote": ("/api/v1/votes/{pk}", {"pk": "pk"}),
    "voting:ballots": ("/api/v1/votes/{pk}/ballots", {"pk": "pk"}),
    "voting:vote_export": ("/api/v1/votes/{pk}/export.xlsx", {"pk": "pk"}),
    "voting:survey": ("/api/v1/surveys/{pk}", {"pk": "pk"}),
    "voting:survey_results": ("/api/v1/surveys/{pk}/results", {"pk": "pk"}),
    "voting:survey_export": ("/api/v1/surveys/{pk}/export.xlsx", {"pk": "pk"}),
    "property:board": ("/api/v1/commitments/board/{code}", {"code": "code"}),
    "core:job": ("/api/v1/jobs/{job_id}", {"pk": "job_id"}),
    "core:job_download": ("/api/v1/jobs/{job_id}/download", {"pk": "job_id"}),
    "visits:record": ("/api/v1/households/{pk}", {"household_id": "pk"}),
    "places:detail": ("/api/v1/places/{pk}", {"pk": "pk"}),
    "places:duty_add": "POST",
    "places:duty_remove": "POST",
    "attendance:record": ("/api/v1/attendance/{assignment_id}", {"pk": "assignment_id"}),
    "attendance:record_xlsx": ("/api/v1/attendance/{assignment_id}", {"pk": "assignment_id"}),
    "projects:detail": ("/api/v1/projects/{pk}", {"pk": "pk"}),
    "projects:public": ("/api/v1/projects/public/{code}", {"code": "code"}),
    "projects:step": "POST",
    "offline:correct": ("/api/v1/households/{pk}", {"pk": "pk"}),
    "patrols:patrol": ("/api/v1/patrols/{ref}", {"pk": "ref"}),
    "party:org": ("/api/v1/party/orgs/{org_id}", {"pk": "org_id"}),
    "party:alliance": ("/api/v1/party/alliances/{alliance_id}", {"pk": "alliance_id"}),
    "party:member_add": "POST",
    "registry:reveal": "POST",
    "registry:resident_card": ("/api/v1/residents/{pk}", {"pk": "pk"}),
    "registry:resident_history": ("/api/v1/residents/{pk}", {"pk": "pk"}),
    "registry:household_card": ("/api/v1/households/{pk}", {"pk": "pk"}),
    "registry:household_history": ("/api/v1/households/{pk}", {"pk": "pk"}),
    "registry:household_add": ("/api/v1/houses/{pk}", {"house_pk": "pk"}),
    "registry:change_decide": "POST",
    "volunteers:member_verify": "POST",
    "volunteers:member_unit": "POST",
    "voting:cast": "POST",
    "voting:paper": "POST",
    "voting:step": "POST",
    "voting:moderate": "POST",
    "property:evaluate": "POST",
    "property:reply": "POST",
    "appeals:step": "POST",
    "volunteers:signup": "POST",
    "volunteers:signup_cancel": "POST",
    "volunteers:signup_accept": "POST",
    "points:redeem": "POST",
    "points:cancel": "POST",
    "wishes:claim": "POST",
    "wishes:deliver": "POST",
    "wishes:confirm": "POST",
    "wishes:cancel": "POST",
    "wishes:review_do": "POST",
    "pairing:visit": "POST",
    "pairing:handover": "POST",
    "notifications:read": "POST",
    "signup:link_decide": "POST",
    "visits:cancel": "POST",
    "patrols:stop": "POST",
    "patrols:discover": "POST",
    "assessment:scheme": ("/api/v1/assessment/schemes/{scheme_id}", {"pk": "scheme_id"}),
    "assessment:ranking": ("/api/v1/assessment/schemes/{scheme_id}", {"pk": "scheme_id"}),
    "assessment:score": ("/api/v1/assessment/scores/{score_id}", {"pk": "score_id"}),
    "assessment:evidence": (
        "/api/v1/assessment/scores/{score_id}/items/{item_id}/evidence",
        {"pk": "score_id", "item_id": "item_id"},
    ),
    "assessment:scheme_step": "POST",
    "assessment:nominate": "POST",
    "assessment:grade_set": "POST",
    "assessment:decide": "POST",
    "cards:grid_pdf": "a grid's cards PDF: 404 out of scope, missing or not a grid (cards/tests/test_cards.py)",
    "open311-discovery": "Open311 GeoReport v2: public by the spec (reviewed cases only: appeals tests)",
    "open311-services": "Open311 GeoReport v2: public by the spec",
    "open311-service": "Open311 GeoReport v2: public by the spec",
    "open311-requests": "Open311 GeoReport v2: public by the spec (reviewed cases only: appeals tests)",
    "open311-request": "Open311 GeoReport v2: public by the spec (reviewed cases only: appeals tests)",
    "open311-token": "Open311 GeoReport v2: public by the spec",
    "offline:icon": "the app icon (a drawing, no data); public so the phone can install the app",
    "volunteers:booking_rate": (
        "the resident's own booking; anyone else's is 404 like a missing one (volunteers/tests/test_booking_rate.py)"
    ),
    "wishes:photo": "the delivery photo of a claim; who may see it is tested in wishes/tests/test_privacy.py",
}
