"""Permission codes and the built-in roles.

A role is a named set of these codes; a RoleGrant gives it to a user on one organization and its subtree.
Codes are data in the database (Role.permissions) so an admin can define new roles; the built-ins below are
created and refreshed after every `migrate` (accounts.services.roles_sync, run from CoreConfig's
post_migrate hook).
"""

from django.utils.translation import gettext_lazy as _

ORGS_VIEW = "orgs.view"
ORGS_MANAGE = "orgs.manage"
ROLES_GRANT = "roles.grant"
OBLIGATIONS_VIEW = "obligations.view"
OBLIGATIONS_CREATE = "obligations.create"
OBLIGATIONS_COMPLETE = "obligations.complete"
OBLIGATIONS_WAIVE = "obligations.waive"
OBLIGATIONS_CONFIRM = "obligations.confirm"
AUDIT_VIEW = "audit.view"
INSPECTIONS_CONDUCT = "inspections.conduct"
POLICIES_EDIT = "policies.edit"
ASSESSMENT_MANAGE = "assessment.manage"
MEMBERS_VIEW = "members.view"
MEMBERS_MANAGE = "members.manage"
MEMBERS_SENSITIVE = "members.sensitive"
MEMBERS_DUES = "members.dues"
ORGLIFE_RECORD = "orglife.record"
ORGLIFE_PLAN = "orglife.plan"
ORGLIFE_SUPERVISE = "orglife.supervise"

ALL = {
    ORGS_VIEW: _("See organizations"),
    ORGS_MANAGE: _("Edit organizations, positions and terms"),
    ROLES_GRANT: _("Grant and revoke roles"),
    OBLIGATIONS_VIEW: _("See obligations"),
    OBLIGATIONS_CREATE: _("Assign supervision items to subordinate units"),
    OBLIGATIONS_COMPLETE: _("Report an obligation of one's own unit as done"),
    OBLIGATIONS_WAIVE: _("Waive an obligation of a subordinate unit"),
    OBLIGATIONS_CONFIRM: _("Confirm or dismiss proposed consequences"),
    AUDIT_VIEW: _("See the change history of records"),
    INSPECTIONS_CONDUCT: _("Conduct inspections"),
    POLICIES_EDIT: _("Edit the escalation ladders"),
    ASSESSMENT_MANAGE: _("Run assessments, publish results and decide appeals"),
    MEMBERS_VIEW: _("See the member register (national ID and phone masked)"),
    MEMBERS_MANAGE: _("Edit and import member records"),
    MEMBERS_SENSITIVE: _("See members' full national ID and phone (every read is logged)"),
    MEMBERS_DUES: _("See and record members' dues (the branch's dues keeper and the offices above)"),
    ORGLIFE_RECORD: _("Record the branch's meetings and attendance"),
    ORGLIFE_PLAN: _("Publish theme-day plans and meeting rules, and assign supervisors"),
    ORGLIFE_SUPERVISE: _("Record supervision visits to branches' theme days"),
}

_READ = [ORGS_VIEW, OBLIGATIONS_VIEW]
_OFFICE = _READ + [OBLIGATIONS_CREATE, OBLIGATIONS_WAIVE, OBLIGATIONS_CONFIRM, AUDIT_VIEW]

# code: (name, permissions, requires two-factor)
BUILTIN_ROLES = {
    "district_admin": (_("District administrator"), list(ALL), True),
    "org_officer": (
        _("Organization officer"),
        _OFFICE
        + [ORGS_MANAGE, ASSESSMENT_MANAGE, MEMBERS_VIEW, MEMBERS_MANAGE, MEMBERS_SENSITIVE, MEMBERS_DUES]
        + [ORGLIFE_RECORD, ORGLIFE_PLAN, ORGLIFE_SUPERVISE],
        False,
    ),
    "discipline_officer": (_("Discipline officer"), _OFFICE + [MEMBERS_VIEW], True),
    "publicity_officer": (_("Publicity officer"), _READ + [OBLIGATIONS_CREATE], False),
    "street_secretary": (
        _("Street secretary"),
        _READ
        + [OBLIGATIONS_CREATE, OBLIGATIONS_COMPLETE, OBLIGATIONS_WAIVE, AUDIT_VIEW, MEMBERS_VIEW]
        + [ORGLIFE_PLAN, ORGLIFE_SUPERVISE],
        False,
    ),
    # a branch keeps its own members' records and needs their phones to reach them
    "branch_secretary": (
        _("Branch secretary"),
        _READ + [OBLIGATIONS_COMPLETE, MEMBERS_VIEW, MEMBERS_MANAGE, MEMBERS_SENSITIVE, ORGLIFE_RECORD],
        False,
    ),
    "inspector": (_("Inspector"), _READ + [INSPECTIONS_CONDUCT, ORGLIFE_SUPERVISE], False),
    "dues_keeper": (_("Dues keeper (党费收缴员)"), [ORGS_VIEW, MEMBERS_VIEW, MEMBERS_DUES], False),
    "member": (_("Member"), [ORGS_VIEW], False),
    "auditor": (_("Auditor (read-only)"), _READ + [AUDIT_VIEW, MEMBERS_VIEW], False),
}
