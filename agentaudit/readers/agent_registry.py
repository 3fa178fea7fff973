"""The identity platforms' own agent registries, as a client exports them: Microsoft Entra
Agent ID objects listed through Microsoft Graph (agent identity blueprints, their principals,
agent identities, agents' user accounts, with `$expand=sponsors`) and Okta's AI agents API
(`GET /workload-principals/api/v1/ai-agents`). Each object is one `agent_registry` row; the
assessment reconciles them with the client's inventory and the logs (docs/agents.md).

Fixtures and their sources: tests/fixtures_agents/entra and tests/fixtures_agents/okta.
"""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader

# Graph's derived types (an element's `@odata.type`) and the registry kind of each.
ENTRA_TYPES = {
    "#microsoft.graph.agentIdentityBlueprint": "blueprint",
    "#microsoft.graph.agentIdentityBlueprintPrincipal": "blueprint_principal",
    "#microsoft.graph.agentIdentity": "agent_identity",
    "#microsoft.graph.agentUser": "agent_user",
}


def _okta_agent(record: dict) -> bool:
    return str(record.get("id", "")).startswith("wlp") and isinstance(record.get("profile"), dict)


def _entra_agent(record: dict) -> bool:
    return record.get("@odata.type") in ENTRA_TYPES or (
        "agentIdentityBlueprintId" in record and "createdDateTime" in record
    )


def detect(sample: Sample) -> bool:
    first = sample.first or {}
    return _entra_agent(first) or _okta_agent(first)


FIELDS = {
    "odata_type": ('$."@odata.type"',),
    "id": ("$.id",),
    "app_id": ("$.appId",),
    "name": ("$.displayName", "$.profile.name"),
    "created": ("$.createdDateTime", "$.created"),
    "blueprint": ("$.agentIdentityBlueprintId",),
    "identity_parent": ("$.identityParentId",),
    "status": ("$.status",),
    "enabled": ("$.accountEnabled",),
    "sponsors": ("$.sponsors",),
    "spns": ("$.servicePrincipalNames",),
    "identifier_uris": ("$.identifierUris",),
    "okta_profile": ("$.profile",),
}

_KINDS = " ".join(f"WHEN '{t}' THEN '{k}'" for t, k in ENTRA_TYPES.items())

# Without `@odata.type` (a cast segment's elements may omit it), the object's own properties
# say which: an agent user names its agent identity, an agent identity its blueprint, a
# principal has service principal names, a blueprint application identifier URIs.
MAPPING = f"""
    CASE WHEN okta_profile IS NOT NULL THEN 'okta_ai_agents' ELSE 'entra_agent_registry' END
        AS source,
    CASE WHEN okta_profile IS NOT NULL THEN 'okta' ELSE 'entra' END AS platform,
    id AS native_id,
    CASE WHEN okta_profile IS NOT NULL THEN 'ai_agent'
         ELSE coalesce(CASE odata_type {_KINDS} END,
                       CASE WHEN identity_parent IS NOT NULL THEN 'agent_user'
                            WHEN blueprint IS NOT NULL THEN 'agent_identity'
                            WHEN spns IS NOT NULL THEN 'blueprint_principal'
                            WHEN identifier_uris IS NOT NULL THEN 'blueprint' END) END AS kind,
    name, app_id,
    coalesce(identity_parent, blueprint) AS parent_id,
    CASE WHEN sponsors IS NOT NULL THEN list_transform(
        CAST(json(sponsors) AS JSON[]),
        lambda s: lower(coalesce(s->>'userPrincipalName', s->>'mail', s->>'id'))) END AS sponsors,
    coalesce(status, CASE enabled WHEN 'true' THEN 'enabled' WHEN 'false' THEN 'disabled' END)
        AS status,
    aa_ts(created) AS created_at,
    CASE WHEN id IS NULL THEN 'missing id'
         WHEN okta_profile IS NULL AND coalesce(CASE odata_type {_KINDS} END,
                 CASE WHEN identity_parent IS NOT NULL OR blueprint IS NOT NULL
                           OR spns IS NOT NULL OR identifier_uris IS NOT NULL THEN 'x' END)
                 IS NULL
              THEN 'not an Agent ID object: expected @odata.type '
                   || '{", ".join(ENTRA_TYPES)} or their properties'
         WHEN created IS NOT NULL AND aa_ts(created) IS NULL
              THEN 'unparseable createdDateTime ' || created
    END AS invalid
"""

READER = Reader(
    name="agent_registry",
    title="Agent registry (Entra Agent ID objects from Graph, Okta AI agents)",
    target="agent_registry",
    detect=detect,
    fields=FIELDS,
    columns_sql=MAPPING,
)
