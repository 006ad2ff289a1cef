"""Import every model so the metadata is complete for migrations and tests."""

from kb.api.models import ApiToken
from kb.audit.models import AuditRecord
from kb.auth.models import LoginFailure, Role, User, UserRole
from kb.experiences.models import Experience, ExperienceRating
from kb.findings.models import Finding, FindingEvidence
from kb.followups.models import Deviation, FollowUp, SupplierCheck
from kb.imports.models import ImportBatch
from kb.insight.models import RatingTotal
from kb.organisations.models import Organisation
from kb.requirements.models import Requirement, RequirementVersion
from kb.search.models import ConsistencyCheck, SearchOutbox
from kb.search.pg_models import SearchDocumentRow  # noqa: F401
from kb.submissions.models import FormSubmission
from kb.suppliers.models import AgreementArea, Supplier, Unit
from kb.tender_drafts.models import TenderDraft, TenderDraftItem
from kb.tenders.models import Contract, ContractStatusChange, TenderRound

__all__ = [
    "AgreementArea",
    "ApiToken",
    "AuditRecord",
    "ConsistencyCheck",
    "Contract",
    "ContractStatusChange",
    "Deviation",
    "Experience",
    "ExperienceRating",
    "Finding",
    "FindingEvidence",
    "FollowUp",
    "FormSubmission",
    "ImportBatch",
    "LoginFailure",
    "Organisation",
    "RatingTotal",
    "Requirement",
    "RequirementVersion",
    "Role",
    "SearchOutbox",
    "Supplier",
    "SupplierCheck",
    "TenderDraft",
    "TenderDraftItem",
    "TenderRound",
    "Unit",
    "User",
    "UserRole",
]
