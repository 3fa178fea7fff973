"""NHI credentials, tokens and grants issued by employees themselves, outside IT's channels."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-SELF-ISSUED",
    title="NHI credential or grant issued by an employee outside IT, not in the inventory",
    severity="medium",
    rationale="The playbook's discovery audit looks for exactly this: the employee who connects "
    "an AI assistant to company data, the developer with a self-generated token. Nobody in IT "
    "knows the credential exists, so nobody rotates, reviews or revokes it.",
    remediation="Confirm each with its issuer; register the ones that stay (owner, purpose, "
    "scopes) and revoke the rest; route issuance through an approval flow (admin consent "
    "workflow, fine-grained token approval, key issuance by automation).",
    criterion="D2",
    owasp="NHI3",
    # one finding per identity and credential: a consent flow creates the app's service
    # principal and grants it, and several employees may consent to one app
    sql="""SELECT coalesce(for_key, platform || ':' || for_id) AS identity_key,
                  credential_created AS credential_key,
                  string_agg(created || ' ' || coalesce(for_name, for_id, '?') || ' issued by '
                             || coalesce(issuer_person, issuer_name, issued_by) || ' on '
                             || strftime(issued_at, '%Y-%m-%d')
                             || coalesce(' with ' || array_to_string(scopes, ' '), '')
                             || CASE WHEN first_used_at IS NULL THEN ', never used since'
                                     ELSE ', first used ' || strftime(first_used_at, '%Y-%m-%d')
                                END,
                             '; ' ORDER BY issued_at) AS evidence
           FROM credential_issuance
           WHERE channel = 'self_service' AND NOT in_inventory
           GROUP BY ALL""",
)
