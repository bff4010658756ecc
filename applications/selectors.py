"""Reads for the contractor side: what a contractor user may see of applications."""

import copy
import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTransform
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Contractor, User
from accounts.staff import in_staff_branch, may_process, not_processable
from applications.models import Application, CompanyMessage
from core.audit import action_label, audit_entries_for
from core.kinds import GuaranteeKind
from core.models import AuditEntry
from guarantees.models import Certificate, Guarantee
from guarantees.received import FIELDS, Change, Version, versions_of
from guarantees.selectors import received_on
from obligees.models import Obligee

if TYPE_CHECKING:
    from fees.calculation import FeeBreakdown

    class ShownGuarantee(Guarantee):
        """A guarantee as the pages read it, with what they set on it: its certificates
        (guarantees.selectors.with_certificates), their history (with_certificate_history) and
        the fee estimate of the confirmation page. For type checking only."""

        current_certificate: Certificate | None
        earlier_certificates: list[Certificate]
        key_available: bool
        versions: list[Version]
        stated: list[Change]
        fee_estimate: FeeBreakdown | None

        class Meta:
            abstract = True


# Audit actions the contractor sees on its timeline, with their Japanese wording. Staff-internal
# entries (notes, views) are not listed and so never shown.
TIMELINE_LABELS = {
    "application.created": _("申込を作成しました"),
    "application.sent": _("申込を送信しました"),
    "application.resent": _("修正した申込を再送信しました"),
    "application.withdrawn": _("申込を取り下げました"),
    "application.accepted": _("営業部・支店が申込を受け付けました"),
    "application.returned": _("営業部・支店から差戻しがありました"),
    "application.message_posted": _("弊社からお知らせがあります"),
    "guarantee.approved": _("保証を承諾しました"),
    "guarantee.issued": _("保証証書を発行しました"),
    "guarantee.amended": _("保証の内容を変更し、変更後の保証証書を発行しました"),
    "guarantee.cancelled": _("保証を解約しました"),
    "guarantee.expired": _("保証期間が満了しました"),
}


def branches_to_ask() -> list[Branch]:
    """The branches (営業部・支店) the help lists with their phone numbers: those receiving
    applications, in code order."""
    return list(Branch.objects.filter(is_active=True).order_by("code"))


def applications_for(user: User) -> QuerySet[Application]:
    """Every application `user` may see: those of the user's own company, nothing else."""
    if user.contractor_id is None:
        return Application.objects.none()
    return Application.objects.filter(contractor_id=user.contractor_id)


def application_for_user_or_404(user: User, pk: int) -> Application:
    """The application `pk` if it belongs to the user's company; 404 otherwise (never 403, so
    that another company's numbering cannot be probed)."""
    return get_object_or_404(
        applications_for(user)
        .select_related("obligee", "branch", "contractor")
        .prefetch_related("guarantees", "company_messages"),
        pk=pk,
    )


def dashboard_applications(
    user: User, *, status: str = "", query: str = ""
) -> QuerySet[Application]:
    """The applications of 申込一覧, filtered and in list order: counted and paged as they are;
    dashboard_rows() reads a page of them."""
    queryset = applications_for(user).order_by("-updated_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    if query:
        queryset = queryset.filter(
            Q(number__icontains=query)
            | Q(works_name__icontains=query)
            | Q(obligee__name__icontains=query)
            | Q(guarantees__number__icontains=query)
        ).distinct()
    return queryset


# The newest 弊社からお客様へのお知らせ of each row, as SQL written once: the same subquery built
# with Subquery(OuterRef) costs more to compile on every request than it takes to run.
_LATEST_MESSAGE = RawSQL(
    f"SELECT body FROM {CompanyMessage._meta.db_table} AS message"
    f" WHERE message.application_id = {Application._meta.db_table}.id"
    " ORDER BY message.id DESC LIMIT 1",
    [],
)


def dashboard_rows(applications: QuerySet[Application]) -> list[dict[str, Any]]:
    """A page of dashboard_applications() as plain values: only the columns the list shows, the
    obligee's name, and `guarantees` (kind order), in two queries. It is the busiest page, and
    model instances cost more than its queries. Joined here and not in dashboard_applications(),
    whose count needs no join."""
    # Plain dicts: each row gets its guarantees added below.
    rows = cast(
        list[dict[str, Any]],
        list(
            applications.values(
                "id",
                "number",
                "status",
                "works_name",
                "contract_amount",
                "created_at",
                "updated_at",
                "obligee__name",
                # What the branch wrote last; the list shows it beside a returned application.
                latest_message=_LATEST_MESSAGE,
            )
        ),
    )
    guarantees = guarantees_by_application([row["id"] for row in rows], certificates=True)
    for row in rows:
        row["guarantees"] = guarantees[row["id"]]
    return rows


CERTIFICATE_COLUMNS = ["version", "issued_at", "handed_over_at"]


def guarantees_by_application(
    application_ids: list[int], *, certificates: bool = False
) -> dict[int, list[dict]]:
    """{application id: its guarantees as plain values, in kind order}, for a page of a list,
    in one query. Plainer than prefetch_related(), which builds a queryset on every row's
    related manager: on a list page that cost more than the guarantees themselves.

    `certificates`: also each guarantee's current certificate version (none superseded) —
    certificate_pk, _version, _issued_at, _handed_over_at, _received_at (when an obligee first
    received it), _contract_amount (the 請負金額 it states); None without one — in the same query.
    """
    by_application: dict[int, list[dict]] = {pk: [] for pk in application_ids}
    if not by_application:
        return by_application
    guarantees = Guarantee.objects.filter(application_id__in=by_application).order_by(
        "application_id", "kind"
    )
    fields = [
        "application_id", "kind", "amount", "number", "status", "certificate_format",
        "issue_requested_at", "issue_failed_at",
    ]  # fmt: skip
    if not certificates:
        for guarantee in guarantees.values(*fields):
            by_application[guarantee["application_id"]].append(guarantee)
        return by_application
    # A plain LEFT JOIN to every version, the superseded ones dropped here: a FilteredRelation
    # on the version in force reads the same rows but costs more to build than the query takes.
    # The same for its receipts (受領): joined, not a subquery per row, whose building cost more
    # than the rest of the query; a version received by two obligees comes twice, and the first
    # receipt counts.
    columns = {f"certificate_{name}": f"certificates__{name}" for name in CERTIFICATE_COLUMNS}
    columns["certificate_pk"] = "certificates__id"
    columns["certificate_received_at"] = "certificates__receipts__received_at"
    rows = guarantees.values(
        *fields,
        *columns.values(),
        "certificates__superseded_at",
        # After an amendment the contract amount the version states, not the one sent.
        certificate_contract_amount=KeyTransform(
            "contract_amount", KeyTransform("works", "certificates__snapshot")
        ),
    )
    for guarantee in rows:
        if guarantee.pop("certificates__superseded_at") is not None:
            continue
        for name, column in columns.items():
            guarantee[name] = guarantee.pop(column)
        listed = by_application[guarantee["application_id"]]
        pk = guarantee["certificate_pk"]
        if listed and pk is not None and listed[-1]["certificate_pk"] == pk:
            listed[-1]["certificate_received_at"] = _earliest(
                listed[-1]["certificate_received_at"], guarantee["certificate_received_at"]
            )
            continue
        listed.append(guarantee)
    return by_application


def _earliest(*moments: datetime.datetime | None) -> datetime.datetime | None:
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def contractor_timeline(application: Application) -> list[dict[str, Any]]:
    """What happened to the application, in the contractor's words (staff notes left out)."""
    return [
        {
            "at": entry.created_at,
            "label": _timeline_label(entry),
            # Staff act for their branch: the contractor sees the branch, not the person.
            "user": entry.user if entry.user and entry.user.contractor_id else application.branch,
        }
        for entry in audit_entries_for(application)
        if entry.action in TIMELINE_LABELS
    ]


def _timeline_label(entry: AuditEntry) -> str:
    if entry.action == "guarantee.approved":
        return _("%(kind)sを承諾しました(保証契約番号 %(number)s)") % {
            "kind": GuaranteeKind(entry.data["kind"]).label,
            "number": entry.data["number"],
        }
    return str(TIMELINE_LABELS[entry.action])


def staff_timeline(
    application: Application,
) -> list[tuple[datetime.datetime, str, User | str, str]]:
    """(when, what, who, detail) for every audit entry of the application, the internal ones
    too, each in words naming the guarantee it concerns by kind and number."""
    kinds = {g.number: g.kind for g in application.guarantees.all() if g.number}
    return [
        (
            entry.created_at,
            action_label(entry, guarantee=_guarantee_name(entry.data, kinds)),
            entry.user or "-",
            entry.data.get("message") or entry.data.get("note") or entry.data.get("reason") or "",
        )
        for entry in audit_entries_for(application)
    ]


def _guarantee_name(data: dict[str, Any], kinds: dict[str, str]) -> str:
    """前払金保証(GM-2026-000004): the kind the entry recorded, or else the kind of the
    application's guarantee with the entry's number."""
    number = data.get("number")
    kind = data.get("kind") or (kinds.get(number) if number else None)
    name = GuaranteeKind(kind).label if kind in GuaranteeKind.values else _("保証")
    return f"{name}({number})" if number else str(name)


def applications_for_staff(user: User) -> QuerySet[Application]:
    """What a staff user may process: the applications sent to the user's branch, or every
    branch's with the head-office permission (accounts.staff). Drafts are the contractor's own
    business (Application.is_with_branch)."""
    return in_staff_branch(
        Application.objects.exclude(status=Application.Status.DRAFT), user, branch="branch"
    )


def companies_named(term: str) -> tuple[list[int], list[int]]:
    """The ids of the contractors whose name or kana contains `term`, and of the obligees whose
    name does, in one query (a UNION): the admin's search matches its applications by these
    ids."""
    # Unordered: a UNION takes no ORDER BY in its parts (the models order by name).
    contractors = Contractor.objects.filter(Q(name__contains=term) | Q(kana__contains=term))
    contractors = contractors.order_by()
    obligees = Obligee.objects.filter(name__contains=term).order_by()
    found: dict[str, list[int]] = {"c": [], "o": []}
    rows = (
        contractors.annotate(source=Value("c"))
        .values_list("source", "pk")
        .union(obligees.annotate(source=Value("o")).values_list("source", "pk"), all=True)
    )
    for source, pk in rows:
        found[source].append(pk)
    return found["c"], found["o"]


def locked_for_staff(application_id: int, user: User) -> Application:
    """The application, row-locked, if `user` may process it: staff with the change permission,
    of its branch (or head office). Checked here and not only in the admin, so that no caller
    can act on another branch's application."""
    application = (
        applications_for_staff(user)
        .select_for_update(of=("self",))
        .select_related("contractor", "branch", "obligee")
        .filter(pk=application_id)
        .first()
    )
    if application is None or not may_process(user):
        raise not_processable()
    return application


# --- The certificates on the application detail ------------------------------------------------

# What the detail page shows of each version a certificate states, by its path in the snapshot
# (guarantees.received.FIELDS gives the label and how each is shown).
_STATED_PATHS = [
    ("works", "name"),
    ("works", "place"),
    ("works", "contract_date"),
    ("works", "period_start"),
    ("works", "period_end"),
    ("works", "contract_amount"),
    ("amount",),
    ("guarantee_period", "start"),
    ("guarantee_period", "end"),
    ("deposit_bank",),
]
# The application's own fields an amendment may restate, by their path in the snapshot.
_APPLICATION_FIELDS = {
    "works_name": ("works", "name"),
    "works_place": ("works", "place"),
    "contract_date": ("works", "contract_date"),
    "period_start": ("works", "period_start"),
    "period_end": ("works", "period_end"),
    "contract_amount": ("works", "contract_amount"),
}


def with_certificate_history(guarantees: Iterable[Guarantee], *, today: datetime.date) -> None:
    """Sets on each of `guarantees` — read by guarantees.selectors.with_certificates first —
    `versions` (every guarantees.received.Version, oldest first) and `stated` (what the version
    in force states, as labelled values), with one query for the receipts of every version."""
    issued = [
        (g, current)
        for g in cast("Iterable[ShownGuarantee]", guarantees)
        if (current := g.current_certificate) is not None
    ]
    certificates = [c for g, current in issued for c in (*g.earlier_certificates, current)]
    received = received_on([certificate.pk for certificate in certificates])
    fields = {path: (label, kind) for label, path, kind in FIELDS}
    for guarantee, current in issued:
        guarantee.versions = versions_of(
            guarantee,
            (*guarantee.earlier_certificates, current),
            received,
            today=today,
        )
        snapshot = current.snapshot
        guarantee.stated = [
            Change(str(fields[path][0]), fields[path][1], value, value)
            for path in _STATED_PATHS
            if (value := _stated(snapshot, path)) not in (None, "")
        ]


def application_as_stated(application: Application, guarantees: Iterable[Guarantee]) -> Application:
    """`application` as its certificates now state it: after an amendment (変更) the works values
    of the newest amended version in force (請負金額, 工期 …) replace those sent, so that the page never
    shows a new guarantee amount beside the old contract amount. A copy: nothing is saved.

    `guarantees` must have been read by with_certificates(). The guarantee amounts need nothing:
    an amendment changes the guarantee's own."""
    amended = [
        certificate
        for g in cast("Iterable[ShownGuarantee]", guarantees)
        if (certificate := g.current_certificate) is not None and certificate.version > 1
    ]
    if not amended:
        return application
    newest = max(amended, key=lambda certificate: certificate.issued_at)
    stated = copy.copy(application)
    for name, path in _APPLICATION_FIELDS.items():
        value = _stated(newest.snapshot, path)
        if value in (None, ""):
            continue
        if name in ("contract_date", "period_start", "period_end"):
            value = datetime.date.fromisoformat(value)
        setattr(stated, name, value)
    stated.stated_version = newest.version
    return stated


def _stated(snapshot: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = snapshot
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


# The branch's work queue (the admin's home page), beyond the application statuses 送信済 and
# 審査中: approved guarantees by what they wait for. Conditions on approved_guarantees().
GUARANTEE_QUEUES = {
    # 承諾(入金・発行待ち): nothing done since 承諾 (the fee, then 発行, are next).
    "approved": Q(printed=False, issue_requested_at__isnull=True),
    # 交付待ち: the paper certificate is printed and not yet handed over.
    "handover": Q(printed=True),
    # 発行失敗: the worker gave up on an electronic issuance.
    "failed": Q(issue_failed_at__isnull=False),
}


def approved_guarantees() -> QuerySet[Guarantee]:
    """Approved guarantees, each annotated `printed`: a paper certificate awaits handover."""
    printed = Certificate.objects.filter(
        guarantee=OuterRef("pk"),
        certificate_format=Guarantee.Format.PAPER,
        handed_over_at__isnull=True,
    )
    return Guarantee.objects.filter(status=Guarantee.Status.APPROVED).annotate(
        printed=Exists(printed)
    )


def applications_in_queue(applications: QuerySet[Application], queue: str) -> QuerySet[Application]:
    """`applications` with a guarantee in `queue` (a key of GUARANTEE_QUEUES)."""
    waiting = approved_guarantees().filter(GUARANTEE_QUEUES[queue], application=OuterRef("pk"))
    return applications.filter(Exists(waiting))


def work_queue(user: User) -> dict[str, int]:
    """How many of the applications `user` may process wait in each queue: 送信済 ("sent"),
    審査中 ("reviewing"), and one per GUARANTEE_QUEUES key (applications with such a
    guarantee). Two queries, whatever the number of rows."""
    applications = applications_for_staff(user)
    counts = applications.filter(status__in=Application.WORK_TO_DO).aggregate(
        **{s.value: Count("pk", filter=Q(status=s)) for s in Application.WORK_TO_DO}
    )
    counts |= (
        approved_guarantees()
        .filter(application__in=applications)
        .aggregate(
            **{
                queue: Count("application_id", distinct=True, filter=condition)
                for queue, condition in GUARANTEE_QUEUES.items()
            }
        )
    )
    return counts
