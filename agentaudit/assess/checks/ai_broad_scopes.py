"""AI apps that employees granted delegated access to mail, files or the directory."""

from agentaudit.assess.checks import Check

CHECK = Check(
    id="NHI-AI-BROAD-SCOPES",
    title="AI app granted broad delegated scopes by an employee",
    severity="high",
    rationale="An AI app with an employee's delegated access to mail, files or the directory "
    "reads what that employee reads, from outside the company, with a refresh token that "
    "outlives the session; user consent skips the review an admin consent would get.",
    remediation="Review the grant with the employee and the app's data handling; revoke it or "
    "replace it with an admin-reviewed grant of the narrowest scopes; turn off user consent "
    "for apps from unverified publishers.",
    criterion="G1",
    owasp="NHI5",
    # one finding per app, every employee's grant in its evidence
    sql="""SELECT coalesce(g.for_key, g.platform || ':' || coalesce(g.app_id, g.app))
                      AS identity_key,
                  NULL AS credential_key,
                  string_agg(coalesce(g.app, g.app_id) || ' (' || g.catalogue_app || ') granted '
                             || array_to_string(g.scopes, ' ') || ' by '
                             || coalesce(g.granted_by_person, g.granted_by_name, g.granted_by)
                             || ' on ' || strftime(g.granted_at, '%Y-%m-%d'),
                             '; ' ORDER BY g.granted_at) AS evidence
           FROM ai_app_grants g,
                (SELECT CAST(json(value) AS VARCHAR[]) AS patterns FROM aa_policy
                 WHERE key = 'broad_scope_patterns') p
           WHERE g.consent_type = 'user'
             -- a scope that starts with a pattern (lambdas, not a correlated unnest: portable)
             AND array_length(list_filter(g.scopes, lambda scope: array_length(list_filter(
                     p.patterns, lambda pattern: starts_with(lower(scope), lower(pattern)))) > 0))
                 > 0
           GROUP BY ALL""",
)
