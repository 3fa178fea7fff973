"""`hr_roster.csv`: the client's employees, the humans every owner is checked against."""

from agentaudit.containers import Sample
from agentaudit.readers.base import Reader, field_of

COLUMNS = (
    "employee_id",
    "email",
    "display_name",
    "department",
    "status",
    "hire_date",
    "termination_date",
    "manager_email",
)
REQUIRED = ("email", "status")
STATUSES = ("active", "terminated", "leave")


def detect(sample: Sample) -> bool:
    header = set(sample.header or [])
    return {"employee_id", "email", "status"} <= header and "kind" not in header


def _date(col: str) -> str:
    return f"TRY_CAST(aa_ts(j->>'{col}') AS DATE)"


SELECT = f"""
SELECT rec_no,
    {field_of("$.employee_id")} AS employee_id,
    lower({field_of("$.email")}) AS email,
    {field_of("$.display_name")} AS display_name,
    {field_of("$.department")} AS department,
    lower({field_of("$.status")}) AS status,
    {_date("hire_date")} AS hire_date,
    {_date("termination_date")} AS termination_date,
    lower({field_of("$.manager_email")}) AS manager_email,
    CASE WHEN {field_of("$.email")} IS NULL THEN 'missing email'
         WHEN {field_of("$.email")} NOT LIKE '%@%'
              THEN 'email is not an address: ' || (j->>'email')
         WHEN lower({field_of("$.status")}) NOT IN {STATUSES} OR {field_of("$.status")} IS NULL
              THEN 'status must be active, terminated or leave, got '
                   || coalesce(j->>'status', 'nothing')
         WHEN {field_of("$.hire_date")} IS NOT NULL AND {_date("hire_date")} IS NULL
              THEN 'unparseable hire_date ' || (j->>'hire_date')
         WHEN {field_of("$.termination_date")} IS NOT NULL AND {_date("termination_date")} IS NULL
              THEN 'unparseable termination_date ' || (j->>'termination_date')
    END AS invalid
FROM _records
"""

READER = Reader(
    name="hr_roster",
    title="HR roster (hr_roster.csv)",
    target="roster",
    detect=detect,
    select_sql=SELECT,
    required_columns=REQUIRED,
    containers=("csv",),
)
